// Starts Swagger UI with the configuration the page carries as a JSON data
// block. A file of its own, so the page's Content-Security-Policy can refuse
// every inline script.
//
// The configuration also carries casemgr's own part, taken out before Swagger
// UI sees the rest: the Authorize dialog's groups, one per API, in the order
// to list them ({label, schemes}). The plugin below lists the credentials in
// that order, puts each API's label above the first of its boxes, and focuses
// the first box when the dialog opens: Swagger UI gives every box autofocus,
// so the last one would take the focus and scroll the dialog to the bottom.
"use strict";

function authorizeDialog(groups) {
  var rank = {};
  var label = {};
  groups.forEach(function (group, g) {
    group.schemes.forEach(function (name, s) {
      rank[name] = g * 1000 + s;
      label[name] = group.label;
    });
  });

  // An item of the dialog's list: a map of one scheme's name to its definition
  // (an OAuth 2 scheme gives one item per flow).
  function nameOf(item) {
    return item.keySeq().first();
  }

  function position(item) {
    var name = nameOf(item);
    return name in rank ? rank[name] : groups.length * 1000;
  }

  return function (system) {
    var React = system.React;

    // Focuses the first box once every box has mounted (and taken the focus in turn).
    class FirstBoxFocused extends React.Component {
      componentDidMount() {
        var content = document.querySelector(".dialog-ux .modal-ux-content");
        if (!content) {
          return;
        }
        content.scrollTop = 0;
        var box = content.querySelector("input:not([type=hidden]):not([type=checkbox]):not([disabled])");
        if (box) {
          box.focus({preventScroll: true});
          box.scrollIntoView({block: "nearest"});
        }
      }

      render() {
        return React.createElement(this.props.original, this.props);
      }
    }

    return {
      statePlugins: {
        auth: {
          wrapSelectors: {
            definitionsToAuthorize: function (original) {
              return function (state) {
                var items = original.apply(null, Array.prototype.slice.call(arguments, 1));
                return items && items.sortBy ? items.sortBy(position) : items;
              };
            },
          },
        },
      },
      wrapComponents: {
        auths: function (Original) {
          return function (props) {
            var name = nameOf(props.definitions);
            var shown = props.authSelectors.shownDefinitions();
            var first = shown && shown.find(function (item) {
              return label[nameOf(item)] === label[name];
            });
            var isFirst = first && (first === props.definitions || first.equals(props.definitions));
            var heading = label[name] && isFirst
              ? React.createElement("h3", {className: "casemgr-api-label"}, label[name])
              : null;
            return React.createElement(React.Fragment, null, heading, React.createElement(Original, props));
          };
        },
        authorizationPopup: function (Original) {
          return function (props) {
            return React.createElement(FirstBoxFocused, Object.assign({}, props, {original: Original}));
          };
        },
      },
    };
  };
}

window.addEventListener("load", function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  var own = config.casemgr || {};
  delete config.casemgr;
  config.plugins = [authorizeDialog(own.authorizeGroups || [])];
  window.ui = SwaggerUIBundle(config);
});
