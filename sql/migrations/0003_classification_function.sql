-- What a category code and a type code name, in the shape the rules read:
-- the category (NULL when unknown), whether it is a system node, the type
-- within it (NULL when unknown there) and the type's case data fields.
-- Shared by the edit's and the creation's facts queries.
CREATE FUNCTION classification_facts(category_code text, type_code text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
               'category_id', cat.id, 'category_is_system', cat.is_system, 'type_id', t.id,
               'fields', COALESCE((SELECT json_agg(json_build_object(
                                       'id', d.id, 'name', d.name, 'data_type', d.data_type,
                                       'allowed_values', d.allowed_values) ORDER BY d.position, d.id)
                                   FROM custom_field d WHERE d.case_type_id = t.id), '[]'::json))
    FROM category cat
    LEFT JOIN case_type t ON t.category_id = cat.id AND t.code = type_code
    WHERE cat.code = category_code
$$;
