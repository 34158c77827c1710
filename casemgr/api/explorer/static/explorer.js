// Starts Swagger UI with the configuration the page carries as a JSON data
// block. A file of its own, so the page's Content-Security-Policy can refuse
// every inline script.
window.addEventListener("load", function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle(config);
});
