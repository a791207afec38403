/* A convoy's map (route, origin, reported positions) or the map of convoys in transit.
   Data comes from the page (json_script), already filtered by the reader's selectors;
   popups use textContent: names are data. */
(function () {
  "use strict";
  var L = window.L;
  var node = document.getElementById("convoy-map-config");
  var container = document.getElementById("convoy-map");
  if (!L || !node || !container) {
    return;
  }
  var config = JSON.parse(node.textContent);
  var map = L.map(container, { attributionControl: false });
  map.setView([41.5, 44.0], 5);
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { fill: true });
  }
  var group = L.featureGroup().addTo(map);
  function label(text) {
    var span = document.createElement("span");
    span.textContent = String(text || "");
    return span;
  }
  if (config.route) {
    L.geoJSON(config.route, { style: { color: "#2563eb", weight: 4 } }).addTo(group);
  }
  if (config.origin && config.origin.coordinates) {
    var o = config.origin.coordinates;
    L.circleMarker([o[1], o[0]], { radius: 7, color: "#111827" }).addTo(group);
  }
  (config.positions || []).forEach(function (p) {
    L.circleMarker([p[1], p[0]], { radius: 5, color: "#dc2626" })
      .bindPopup(label(p[2]))
      .addTo(group);
  });
  if (config.layer) {
    L.geoJSON(config.layer, {
      style: { color: "#2563eb", weight: 3 },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 6, color: "#dc2626" });
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(label(feature.properties.name + " " + (feature.properties.reported_at || "")));
      }
    }).addTo(group);
  }
  if (group.getLayers().length) {
    map.fitBounds(group.getBounds(), { maxZoom: 10, padding: [20, 20] });
  }
  // Tests (and screen readers' users, through the list beside it) know it has drawn.
  container.setAttribute("data-loaded", String(group.getLayers().length));
})();
