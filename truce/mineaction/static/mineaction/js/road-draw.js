/* Drawing a road checked by clicking along it: each click adds a point and the line is
   written into the GeoJSON field, which stays the form's one source of truth (a line
   pasted there is drawn too). Keyboard users paste GeoJSON; the buttons undo the last
   point or clear the drawing. */
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
  var points = [];
  var shape = null;

  function round(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  function redraw() {
    if (shape) {
      map.removeLayer(shape);
      shape = null;
    }
    if (points.length >= 1) {
      shape = L.polyline(points, { color: "#2563eb", weight: 4 }).addTo(map);
    }
  }

  function write() {
    if (points.length < 2) {
      field.value = "";
      return;
    }
    var coordinates = points.map(function (p) {
      return [round(p.lng), round(p.lat)];
    });
    field.value = JSON.stringify({ type: "LineString", coordinates: coordinates });
  }

  function readField() {
    try {
      var geometry = JSON.parse(field.value);
      if (geometry && geometry.type === "LineString") {
        points = geometry.coordinates.map(function (p) {
          return L.latLng(p[1], p[0]);
        });
        redraw();
        if (shape && points.length >= 2) {
          map.fitBounds(shape.getBounds().pad(0.5), { animate: false });
        }
      }
    } catch (error) {
      // Not JSON yet: the server says what is wrong when the form is sent.
    }
  }

  map.on("click", function (event) {
    points.push(event.latlng);
    redraw();
    write();
  });
  document.getElementById("draw-undo").addEventListener("click", function () {
    points.pop();
    redraw();
    write();
  });
  document.getElementById("draw-clear").addEventListener("click", function () {
    points = [];
    redraw();
    write();
  });
  field.addEventListener("change", readField);
  if (field.value) {
    readField();
  }
})();
