/* The route planner's map: the planned route, one line per segment coloured by its
   status, the ends, the blockers when no safe route exists, and the open hazard
   areas. A click on the map writes "lon,lat" into the From or To field (the radio
   buttons choose which), so the form stays the one way to plan, by keyboard too. */
(function () {
  "use strict";
  var L = window.L;
  var R = window.TruceRouting;
  var configNode = document.getElementById("planner-map-config");
  var container = document.getElementById("planner-map");
  if (!L || !R || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var map = R.makeMap(container);
  var bounds = L.latLngBounds([]);

  // The network itself, faint and not clickable (a click on the map sets an end):
  // a small network only; a large one asks for a box, and is then left out.
  if (config.segmentsUrl) {
    var networkQuery = config.network ? "?network=" + encodeURIComponent(config.network) : "";
    fetch(config.segmentsUrl + networkQuery, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (collection) {
        var roads = L.geoJSON(collection, {
          interactive: false,
          style: function (feature) {
            var status = (feature.properties || {}).status;
            return { color: R.colours[status] || "#6b7280", weight: 2, opacity: 0.35 };
          },
        }).addTo(map);
        roads.bringToBack();
        if (!bounds.isValid() && collection.features.length) {
          map.fitBounds(roads.getBounds(), { animate: false });
        }
      })
      .catch(function () { return null; });
  }
  var drawn = 0;

  (config.pieces || []).forEach(function (piece) {
    var line = L.polyline(piece.coordinates.map(function (c) { return [c[1], c[0]]; }), {
      color: R.colours[piece.status] || "#374151",
      weight: 5,
      dashArray: piece.status === "not_verified" ? "8 6" : null,
    }).addTo(map);
    line.bindTooltip((piece.name || piece.key) + " · " + (labels[piece.status] || piece.status));
    line.getElement && line.getElement() && line.getElement().setAttribute("data-segment", piece.key);
    bounds.extend(line.getBounds());
    drawn += 1;
  });
  (config.blockers || []).forEach(function (blocker) {
    if (!blocker.geometry) {
      return;
    }
    var layer = L.geoJSON(blocker.geometry, { style: function () { return { color: "#7f1d1d", weight: 3, fillColor: "#b91c1c", fillOpacity: 0.45 }; } }).addTo(map);
    layer.bindTooltip((labels.blocker || "Blocks the route") + ": " + (blocker.reference || blocker.name || blocker.segment || ""));
    bounds.extend(layer.getBounds());
    drawn += 1;
  });
  (config.blockingSegments || []).forEach(function (key) {
    var url = config.segmentUrl.replace("KEY", encodeURI(key)) + "?network=" + encodeURIComponent(config.network || "");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (feature) {
        var line = L.geoJSON(feature, { style: function () { return { color: "#7f1d1d", weight: 8, opacity: 0.8 }; } }).addTo(map);
        var p = feature.properties || {};
        line.bindTooltip((labels.blocker || "Blocks the route") + ": " + (p.name || p.key) + " · " + (labels[p.status] || p.status));
      })
      .catch(function () { return null; });
  });
  var ends = {};
  function setEnd(which, latlng, label) {
    if (ends[which]) {
      map.removeLayer(ends[which]);
    }
    ends[which] = L.circleMarker(latlng, { radius: 7, color: "#111827", weight: 2, fillColor: which === "from" ? "#ffffff" : "#111827", fillOpacity: 1 }).addTo(map);
    ends[which].bindTooltip(label || (labels[which] || which));
  }
  ["from", "to"].forEach(function (which) {
    var end = config[which];
    if (end && (end.snapped || end.point)) {
      var p = end.snapped || end.point;
      setEnd(which, [p[1], p[0]], end.name || end.query);
      bounds.extend([p[1], p[0]]);
    }
  });
  R.addHazards(map, config.hazardsUrl, labels).then(function () {
    container.setAttribute("data-loaded", String(drawn));
  });
  if (bounds.isValid()) {
    map.fitBounds(bounds.pad(0.15), { maxZoom: 13, animate: false });
  }

  map.on("click", function (event) {
    var choice = document.querySelector("input[name=click]:checked");
    var which = choice ? choice.value : "from";
    var input = document.getElementById("id_" + which);
    if (!input) {
      return;
    }
    input.value = event.latlng.lng.toFixed(5) + "," + event.latlng.lat.toFixed(5);
    setEnd(which, event.latlng, input.value);
    // The next click sets the other end.
    var other = document.querySelector("input[name=click][value=" + (which === "from" ? "to" : "from") + "]");
    if (other) {
      other.checked = true;
    }
  });
})();
