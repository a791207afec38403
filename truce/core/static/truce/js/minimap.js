/* The small map on a record's page: its geometry alone, no tiles needed. */
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
