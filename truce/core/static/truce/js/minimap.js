/* The small map on a record's page: its geometry over the country outlines
   of the offline base map (../basemap/), no tiles needed. */
(function () {
  "use strict";

  var L = window.L;
  var style = window.TruceMapStyle;
  var container = document.getElementById("minimap");
  var data = document.getElementById("record-geometry");
  if (!L || !style || !container || !data) {
    return;
  }
  var geometry = JSON.parse(data.textContent);
  var approximate = container.getAttribute("data-approximate") === "true";
  var map = L.map(container, { attributionControl: false, scrollWheelZoom: false });
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    // Outlines only: at a record's zoom the country names would land off-screen.
    // A failed load leaves the record on the plain background, as before.
    window.TruceBasemap.add(map, basemapUrl, { labels: false }).loaded.catch(function () {});
  }
  var layer = L.geoJSON(geometry, {
    // Styles areas only: a point keeps the look its circle marker was given.
    style: function (feature) {
      var type = feature && feature.geometry ? feature.geometry.type : "";
      return type === "Point" || type === "MultiPoint" ? {} : style.areaStyle("zone-responsibility");
    },
    pointToLayer: function (feature, latlng) {
      return style.circle(latlng, "settlement", "truce-record-point", approximate);
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 11 });
  } else {
    map.setView([39.8, 46.75], 7);
  }
})();
