/* The readiness map: settlements with a report by the day, coloured by the
   chosen utility's state (or their worst), from /api/v1/winter/readiness.geojson.
   The session cookie authenticates the request, so each party's map shows what
   its selectors allow. Popups are built with textContent: names are data. */
(function () {
  "use strict";

  var L = window.L;
  var configNode = document.getElementById("readiness-map-config");
  var container = document.getElementById("readiness-map");
  if (!L || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var colours = { working: "#16a34a", partial: "#f59e0b", out: "#dc2626", unknown: "#9ca3af" };
  var map = L.map(container, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([39.8, 46.75], 8);
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { fill: true });
  }

  function element(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function stateOf(properties) {
    if (!config.utility) {
      return properties.worst;
    }
    var cell = (properties.utilities || {})[config.utility];
    return cell ? cell.state : "unknown";
  }

  function popup(properties) {
    var box = element("div");
    box.appendChild(element("strong", properties.name));
    var list = element("ul");
    Object.keys(properties.utilities || {}).forEach(function (utility) {
      var cell = properties.utilities[utility];
      var text = (labels[utility] || utility) + ": " + (labels[cell.state] || cell.state);
      if (cell.since) {
        text += " (" + (labels.since || "since") + " " + cell.since + ")";
      }
      list.appendChild(element("li", text));
    });
    box.appendChild(list);
    if (typeof properties.url === "string" && properties.url.charAt(0) === "/") {
      var link = element("a", labels.open || "Open");
      link.href = properties.url;
      box.appendChild(link);
    }
    return box;
  }

  var query = new URLSearchParams(config.query || {});
  fetch(config.layerUrl + "?" + query.toString(), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        pointToLayer: function (feature, latlng) {
          var state = stateOf(feature.properties);
          return L.circleMarker(latlng, {
            radius: 8,
            color: "#1f2937",
            weight: feature.properties.approximate ? 1 : 2,
            dashArray: feature.properties.approximate ? "3 3" : null,
            fillColor: colours[state] || colours.unknown,
            fillOpacity: 0.9,
          });
        },
        onEachFeature: function (feature, marker) {
          marker.bindPopup(popup(feature.properties));
          marker.bindTooltip(feature.properties.name);
        },
      }).addTo(map);
      if (collection.features.length) {
        map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 11, animate: false });
      }
      container.setAttribute("data-loaded", String(collection.features.length));
    })
    .catch(function () {
      container.setAttribute("data-loaded", "error");
    });
})();
