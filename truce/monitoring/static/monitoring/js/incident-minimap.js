/* The small map on an incident's page: its position, the ring of its
   uncertainty, over the offline base map's outlines; no tiles needed. */
(function () {
  "use strict";

  var L = window.L;
  var look = window.TruceIncidentStyle;
  var container = document.getElementById("minimap");
  var data = document.getElementById("record-geometry");
  if (!L || !look || !container || !data) {
    return;
  }
  var geometry = JSON.parse(data.textContent);
  if (!geometry || geometry.type !== "Point") {
    return;
  }
  var properties = {
    status: container.getAttribute("data-status"),
    severity: "medium",
    uncertainty_m: container.getAttribute("data-uncertainty")
  };
  var map = L.map(container, { attributionControl: false, scrollWheelZoom: false });
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { labels: false }).loaded.catch(function () {});
  }
  var latlng = L.latLng(geometry.coordinates[1], geometry.coordinates[0]);
  // A view first: Leaflet places circles only on a map that has one.
  map.setView(latlng, 12);
  var ring = look.uncertainty(latlng, properties);
  if (ring) {
    ring.addTo(map);
    // The ring's extent from its radius alone (metres), twice over for context.
    map.fitBounds(latlng.toBounds(4 * Number(properties.uncertainty_m)), { maxZoom: 15 });
  }
  look.marker(latlng, properties).addTo(map);
})();
