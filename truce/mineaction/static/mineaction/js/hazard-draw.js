/* Drawing a hazard area by clicking its corners: each click adds a corner and the
   closed ring is written into the GeoJSON field, which stays the form's one source
   of truth (a polygon pasted there is drawn too). Keyboard users paste GeoJSON;
   the buttons undo the last corner or clear the drawing. */
(function () {
  "use strict";

  var L = window.L;
  var container = document.getElementById("draw-map");
  var field = document.getElementById("id_geometry");
  if (!L || !container || !field) {
    return;
  }
  var map = L.map(container, { attributionControl: false });
  map.setView([39.75, 46.75], 10);
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { fill: true });
  }
  var corners = [];
  var shape = null;

  function round(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  function redraw() {
    if (shape) {
      map.removeLayer(shape);
      shape = null;
    }
    if (corners.length >= 2) {
      shape = L.polygon(corners, { color: "#dc2626", weight: 2 }).addTo(map);
    }
  }

  function write() {
    if (corners.length < 3) {
      field.value = "";
      return;
    }
    var ring = corners.map(function (c) {
      return [round(c.lng), round(c.lat)];
    });
    ring.push(ring[0]);
    field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
  }

  function readField() {
    try {
      var geometry = JSON.parse(field.value);
      if (geometry && geometry.type === "Polygon") {
        corners = geometry.coordinates[0].slice(0, -1).map(function (p) {
          return L.latLng(p[1], p[0]);
        });
        redraw();
        if (shape) {
          map.fitBounds(shape.getBounds().pad(0.5), { animate: false });
        }
      }
    } catch (error) {
      // Not JSON yet: the server says what is wrong when the form is sent.
    }
  }

  map.on("click", function (event) {
    corners.push(event.latlng);
    redraw();
    write();
  });
  document.getElementById("draw-undo").addEventListener("click", function () {
    corners.pop();
    redraw();
    write();
  });
  document.getElementById("draw-clear").addEventListener("click", function () {
    corners = [];
    redraw();
    write();
  });
  field.addEventListener("change", readField);
  if (field.value) {
    readField();
  }
})();
