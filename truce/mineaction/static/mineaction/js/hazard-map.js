/* The hazard map: hazard areas the reader may see, coloured by status, each with
   its land released against its area (from /api/v1/mineaction/hazards.geojson),
   and the roads checked as lines. The session cookie authenticates the requests,
   so each party's map shows what its selectors allow. Popups are built with
   textContent: names are data. */
(function () {
  "use strict";

  var L = window.L;
  var configNode = document.getElementById("hazard-map-config");
  var container = document.getElementById("hazard-map");
  if (!L || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var colours = { open: "#dc2626", closed: "#16a34a", handed_over: "#2563eb" };
  var map = L.map(container, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([39.7, 46.7], 9);
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

  function ha(m2) {
    return (m2 / 10000).toFixed(1) + " ha";
  }

  function popup(p) {
    var box = element("div");
    box.appendChild(element("strong", p.reference + " " + p.name));
    var list = element("ul");
    list.appendChild(
      element("li", (labels[p.status] || p.status) + " (" + (labels.since || "since") + " " + p.status_since + ")")
    );
    var share = p.area_m2 ? Math.min(100, Math.round((100 * p.released_m2) / p.area_m2)) : 0;
    list.appendChild(element("li", (labels.area || "Area") + ": " + ha(p.area_m2)));
    list.appendChild(
      element("li", (labels.released || "Released") + ": " + ha(p.released_m2) + " (" + share + "%)")
    );
    list.appendChild(element("li", (labels.cleared || "Cleared") + ": " + ha(p.cleared_m2)));
    if (p.location_approximate) {
      list.appendChild(element("li", labels.approximate || "Position approximate"));
    }
    box.appendChild(list);
    if (typeof p.url === "string" && p.url.charAt(0) === "/") {
      var link = element("a", labels.open_page || "Open");
      link.href = p.url;
      box.appendChild(link);
    }
    return box;
  }

  function load(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    });
  }

  Promise.all([load(config.layerUrl), load(config.roadsUrl)])
    .then(function (collections) {
      var hazards = collections[0];
      var roads = collections[1];
      var roadLayer = L.geoJSON(roads, {
        style: function () {
          return { color: "#1f2937", weight: 3, opacity: 0.7, dashArray: "6 4" };
        },
        onEachFeature: function (feature, line) {
          var p = feature.properties;
          line.bindTooltip((labels.road || "Road checked") + ": " + p.name + " (" + p.km.toFixed(1) + " km, " + p.checked_on + ")");
        },
      }).addTo(map);
      var layer = L.geoJSON(hazards, {
        style: function (feature) {
          var p = feature.properties;
          return {
            color: colours[p.status] || "#6b7280",
            weight: 2,
            dashArray: p.location_approximate ? "4 3" : null,
            fillColor: colours[p.status] || "#6b7280",
            fillOpacity: p.status === "open" ? 0.45 : 0.25,
          };
        },
        onEachFeature: function (feature, shape) {
          shape.bindPopup(popup(feature.properties));
          shape.bindTooltip(feature.properties.reference);
        },
      }).addTo(map);
      var bounds = layer.getBounds();
      if (roads.features.length) {
        bounds = bounds.isValid() ? bounds.extend(roadLayer.getBounds()) : roadLayer.getBounds();
      }
      if (bounds.isValid()) {
        map.fitBounds(bounds.pad(0.1), { maxZoom: 13, animate: false });
      }
      container.setAttribute("data-loaded", String(hazards.features.length));
    })
    .catch(function () {
      container.setAttribute("data-loaded", "error");
    });
})();
