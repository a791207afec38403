/* The outline of one hazard area on its page, coloured by its status. */
(function () {
  "use strict";

  var L = window.L;
  var configNode = document.getElementById("hazard-minimap-config");
  var container = document.getElementById("hazard-minimap");
  if (!L || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var colours = { open: "#dc2626", closed: "#16a34a", handed_over: "#2563eb" };
  var map = L.map(container, { attributionControl: false, zoomControl: true });
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { fill: true });
  }
  var colour = colours[config.status] || "#6b7280";
  var layer = L.geoJSON(config.geometry, {
    style: function () {
      return { color: colour, fillColor: colour, fillOpacity: 0.35, weight: 2 };
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds().pad(0.5), { animate: false, maxZoom: 15 });
})();
