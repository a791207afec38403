/* The offline base map: country outlines and names from countries.geojson
   (Natural Earth, public domain; see README.md here), drawn under every data
   layer so a map with no tile server still shows where it is. Shared by the
   full map and the small map on a record's page. Never clickable; names are
   data, so labels are built with textContent, never innerHTML. */
(function (global) {
  "use strict";

  var L = global.L;

  // Calm on purpose: muted land, thin grey borders; the records stay prominent.
  var LAND = "#ebe8df";
  var BORDER = "#9aa2ac";

  function pane(map, name, zIndex) {
    var node = map.getPane(name) || map.createPane(name);
    node.style.zIndex = zIndex;
    node.style.pointerEvents = "none";
    return name;
  }

  // A country's name, as a marker that is never clickable.
  function labelMarker(name, paneName) {
    var text = document.createElement("span");
    text.textContent = String(name);
    var look = text.style;
    look.display = "inline-block";
    look.transform = "translate(-50%, -50%)";
    look.whiteSpace = "nowrap";
    look.font = "600 11px/1 system-ui, sans-serif";
    look.letterSpacing = "0.14em";
    look.textTransform = "uppercase";
    look.color = "#858d97";
    look.textShadow = "0 0 3px " + LAND + ", 0 0 3px " + LAND;
    return L.marker([0, 0], {
      pane: paneName,
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ html: text, className: "truce-country-label", iconSize: null })
    });
  }

  // The outer rings of a Polygon or MultiPolygon, as arrays of LatLng.
  function outerRings(geometry) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.map(function (rings) {
      return rings[0].map(function (position) {
        return L.latLng(position[1], position[0]);
      });
    });
  }

  function ringArea(points) {
    var sum = 0;
    for (var i = 0, j = points.length - 1; i < points.length; j = i++) {
      sum += (points[j].x + points[i].x) * (points[j].y - points[i].y);
    }
    return Math.abs(sum / 2);
  }

  // Whether the point is inside the polygon: a ray to its right crosses the border an odd number of times.
  function inside(point, polygon) {
    var within = false;
    for (var i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      var a = polygon[i];
      var b = polygon[j];
      if ((a.y > point.y) !== (b.y > point.y)) {
        var crossing = a.x + ((b.x - a.x) * (point.y - a.y)) / (b.y - a.y);
        if (point.x < crossing) {
          within = !within;
        }
      }
    }
    return within;
  }

  // The side of the bounds that the line from their centre towards `to` crosses.
  function facingSide(bounds, to) {
    var centre = bounds.getCenter();
    var dx = to.x - centre.x;
    var dy = to.y - centre.y;
    var half = bounds.getSize().divideBy(2);
    var min = bounds.min;
    var max = bounds.max;
    if (Math.abs(dx) * half.y >= Math.abs(dy) * half.x) {
      var x = dx < 0 ? min.x : max.x;
      return [L.point(x, min.y), L.point(x, max.y)];
    }
    var y = dy < 0 ? min.y : max.y;
    return [L.point(min.x, y), L.point(max.x, y)];
  }

  // The middle of the longest stretch of the segment a..b where ok(point) holds.
  function middleOfLongestRun(a, b, ok) {
    var steps = Math.max(1, Math.ceil(a.distanceTo(b) / 8));
    var best = null;
    var runStart = null;
    for (var i = 0; i <= steps + 1; i++) {
      var point = i <= steps ? a.add(b.subtract(a).multiplyBy(i / steps)) : null;
      if (point && ok(point)) {
        runStart = runStart === null ? i : runStart;
      } else if (runStart !== null) {
        if (!best || i - runStart > best[1] - best[0]) {
          best = [runStart, i];
        }
        runStart = null;
      }
    }
    return best ? a.add(b.subtract(a).multiplyBy((best[0] + best[1] - 1) / 2 / steps)) : null;
  }

  // The map's controls (zoom, legend) in container pixels, widened by half a name.
  function controlBoxes(map) {
    var container = map.getContainer();
    var origin = container.getBoundingClientRect();
    var boxes = [];
    container.querySelectorAll(".leaflet-control").forEach(function (node) {
      var r = node.getBoundingClientRect();
      boxes.push(L.bounds(
        [r.left - origin.left - 64, r.top - origin.top - 12],
        [r.right - origin.left + 64, r.bottom - origin.top + 12]
      ));
    });
    return boxes;
  }

  /* Where a country's name goes in the current view: at its home (a point the
     generator put deep inside it) if that is on screen. Otherwise, if enough
     of the country shows, at the screen's edge on the side where home lies,
     half-way along the country's longest stretch of that edge: zoomed in on a
     front line, the neighbours are still named on their side. Never under a
     control. Null: leave the name out. Works in container pixels. */
  function labelPoint(map, country, controls) {
    var size = map.getSize();
    // Room at the edges for a name of a dozen letters.
    var frame = L.bounds([72, 20], [size.x - 72, size.y - 20]);
    function clear(point) {
      return !controls.some(function (box) { return box.contains(point); });
    }
    var home = map.latLngToContainerPoint(country.home);
    if (frame.contains(home) && clear(home)) {
      return country.home;
    }
    var visible = [];
    var shown = 0;
    // Clipped a pixel wider than the frame, so that a point on the frame's
    // edge is inside a part that reaches it, not on the part's own border.
    var clip = L.bounds(frame.min.subtract([1, 1]), frame.max.add([1, 1]));
    country.rings.forEach(function (ring) {
      var points = ring.map(function (latlng) { return map.latLngToContainerPoint(latlng); });
      var part = L.PolyUtil.clipPolygon(points, clip);
      if (part.length >= 3) {
        visible.push(part);
        shown += ringArea(part);
      }
    });
    var frameSize = frame.getSize();
    if (shown < 0.04 * frameSize.x * frameSize.y) {
      return null;
    }
    var side = facingSide(frame, home);
    var at = middleOfLongestRun(side[0], side[1], function (point) {
      return clear(point) && visible.some(function (part) { return inside(point, part); });
    });
    return at ? map.containerPointToLatLng(at) : null;
  }

  /* Adds the base map to `map` and returns { layer, loaded }: `layer` is the
     layer group to toggle, `loaded` a promise settled once the file is drawn.
     Options: labels (country names, default true); fill (land colour, default
     true; off over a tile layer, which has its own). Above tiles (pane 200),
     below the overlay pane (400) and any pane of data above 300. */
  function add(map, url, options) {
    options = options || {};
    var outlines = L.geoJSON(null, {
      pane: pane(map, "truce-basemap", 250),
      interactive: false,
      style: function () {
        return {
          color: BORDER,
          weight: 1,
          opacity: 0.9,
          fill: options.fill !== false,
          fillColor: LAND,
          fillOpacity: 1
        };
      }
    });
    var names = L.layerGroup();
    var layer = L.layerGroup([outlines, names]).addTo(map);
    var labelPane = pane(map, "truce-basemap-labels", 260);
    var countries = [];

    function placeLabels() {
      var controls = controlBoxes(map);
      countries.forEach(function (country) {
        var at = labelPoint(map, country, controls);
        if (at) {
          country.marker.setLatLng(at);
          names.addLayer(country.marker);
        } else {
          names.removeLayer(country.marker);
        }
      });
    }

    var loaded = fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("basemap: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (collection) {
        outlines.addData(collection);
        if (options.labels === false) {
          return;
        }
        (collection.features || []).forEach(function (feature) {
          var p = feature.properties || {};
          var geometry = feature.geometry || {};
          var type = geometry.type;
          if (!p.name || !Array.isArray(p.label) || (type !== "Polygon" && type !== "MultiPolygon")) {
            return;
          }
          countries.push({
            home: L.latLng(p.label[1], p.label[0]),
            rings: outerRings(geometry),
            marker: labelMarker(p.name, labelPane)
          });
        });
        map.on("moveend resize", placeLabels);
        map.whenReady(placeLabels);
      });
    return { layer: layer, loaded: loaded };
  }

  global.TruceBasemap = { add: add, swatch: { color: BORDER, fill: LAND } };
})(window);
