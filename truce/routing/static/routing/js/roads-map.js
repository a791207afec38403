/* The road status layer: segments of the chosen network coloured by status, from
   /api/v1/routing/segments.geojson for the box in view (the endpoint filters by
   party, and wants a box once a network is large), and the open hazard areas.
   A hover names a segment; a click loads its panel (status history, and for mission staff the
   form to change its status, posted with HTMX) below the map. */
(function () {
  "use strict";
  var L = window.L;
  var R = window.TruceRouting;
  var configNode = document.getElementById("roads-map-config");
  var container = document.getElementById("roads-map");
  if (!L || !R || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var map = R.makeMap(container);
  var layer = null;
  // A small network loads whole, once; a large one (the endpoint then wants a box)
  // loads the box in view, again after each move.
  var byBox = false;
  if (config.bbox) {
    map.fitBounds([[config.bbox[1], config.bbox[0]], [config.bbox[3], config.bbox[2]]], { animate: false });
  }

  function openSegment(key) {
    var url = config.segmentUrl.replace("KEY", encodeURI(key));
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#segment-panel", swap: "innerHTML" });
    }
  }

  function style(feature) {
    var status = (feature.properties || {}).status;
    return { color: R.colours[status] || "#374151", weight: 4, dashArray: status === "not_verified" ? "8 6" : null };
  }

  function load() {
    var b = map.getBounds();
    var query = new URLSearchParams({ network: config.network || "" });
    if (config.status) {
      query.set("status", config.status);
    }
    if (byBox) {
      query.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","));
    }
    fetch(config.segmentsUrl + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 422 && !byBox) {
          byBox = true;
          return null;
        }
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (collection) {
        if (collection === null) {
          load();
          return;
        }
        if (layer) {
          map.removeLayer(layer);
        }
        layer = L.geoJSON(collection, {
          style: style,
          onEachFeature: function (feature, line) {
            var p = feature.properties || {};
            var box = R.element("div");
            box.appendChild(R.element("strong", p.name || p.key));
            box.appendChild(R.element("div", (labels[p.status] || p.status) + (p.status_since ? " · " + (labels.since || "since") + " " + p.status_since : "")));
            box.appendChild(R.element("div", labels.details || ""));
            line.bindTooltip(box, { sticky: true });
            line.on("click", function () { openSegment(p.key); });
          },
        }).addTo(map);
        if (!config.bbox && !byBox && collection.features.length) {
          map.fitBounds(layer.getBounds().pad(0.05), { animate: false });
        }
        container.setAttribute("data-loaded", String(collection.features.length));
      })
      .catch(function () {
        container.setAttribute("data-loaded", "error");
      });
  }

  R.addHazards(map, config.hazardsUrl, labels);
  load();
  var timer = null;
  map.on("moveend", function () {
    if (!byBox) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 300);
  });
  // A changed status redraws the layer, so the colour follows the new status.
  document.body.addEventListener("routing:status-changed", load);
})();
