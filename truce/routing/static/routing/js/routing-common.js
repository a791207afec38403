/* Shared by the routing maps: status colours (css/routing.css uses the same), the
   base map, and the open hazard areas layer. Names are data: popups and labels
   are built with textContent, never innerHTML. */
(function (global) {
  "use strict";
  var L = global.L;
  var colours = {
    verified_clear: "#15803d",
    open: "#2563eb",
    not_verified: "#d97706",
    closed: "#b91c1c",
    hazard: "#b91c1c",
  };

  function element(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function makeMap(container) {
    var map = L.map(container, { attributionControl: false, zoomSnap: 0.25 });
    map.setView([39.6, 46.6], 9);
    var basemapUrl = container.getAttribute("data-basemap-url");
    if (basemapUrl && global.TruceBasemap) {
      global.TruceBasemap.add(map, basemapUrl, { fill: true });
    }
    return map;
  }

  function hazardStyle() {
    return { color: colours.hazard, weight: 1.5, dashArray: "4 3", fillColor: colours.hazard, fillOpacity: 0.25 };
  }

  function hazardPopup(properties, labels) {
    var box = element("div");
    box.appendChild(element("strong", (properties.reference || "") + " " + (properties.name || "")));
    if (properties.status) {
      box.appendChild(element("div", (labels.status || "Status") + ": " + properties.status));
    }
    return box;
  }

  // The open hazard areas the reader may see (the layer URL filters by party).
  function addHazards(map, url, labels) {
    if (!url) {
      return Promise.resolve(null);
    }
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (collection) {
        return L.geoJSON(collection, {
          style: hazardStyle,
          onEachFeature: function (feature, layer) {
            layer.bindPopup(hazardPopup(feature.properties || {}, labels || {}));
          },
        }).addTo(map);
      })
      .catch(function () { return null; });
  }

  global.TruceRouting = { colours: colours, element: element, makeMap: makeMap, addHazards: addHazards, hazardStyle: hazardStyle };
})(window);
