/* The damage map: a choropleth of places (admin area polygons, or approximate
   settlement cells where the areas have no boundaries) shaded by the chosen
   measure, and the structures as points coloured by grade once zoomed in.
   Both layers come from /api/v1/damage/ with the session cookie, so each party
   sees only what its selectors allow. Offline like the other maps: no tile
   server unless the deployment set one. Popups use textContent only. */
(function () {
  "use strict";

  var L = window.L;
  var configNode = document.getElementById("damage-map-config");
  var container = document.getElementById("damage-map");
  if (!L || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var status = document.getElementById("damage-map-status");
  var note = document.getElementById("damage-map-note");
  var legend = document.getElementById("damage-map-legend");
  var GRADE_COLOURS = { destroyed: "#7f0000", severe: "#d7301f", moderate: "#fc8d59", light: "#fdcc8a" };
  var STEPS = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];

  var map = L.map(container, { attributionControl: Boolean(config.tileUrl), zoomSnap: 0.25 });
  map.setView([39.8, 46.75], 8);
  var tiles = config.tileUrl ? L.tileLayer(config.tileUrl, { maxZoom: 18 }).addTo(map) : null;
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { fill: !tiles });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function sameOriginUrl(value) {
    if (typeof value !== "string" || !value) {
      return null;
    }
    try {
      var url = new URL(value, window.location.href);
      return url.origin === window.location.origin ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function getJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  // Class breaks: equal steps from 0 to the largest value (0 always the palest).
  var maxValue = 0;
  function colourFor(value) {
    if (!value || maxValue <= 0) {
      return STEPS[0];
    }
    var i = Math.min(STEPS.length - 1, 1 + Math.floor((value / maxValue) * (STEPS.length - 1) - 1e-9));
    return STEPS[Math.max(1, i)];
  }

  function drawLegend() {
    if (!legend) {
      return;
    }
    legend.textContent = "";
    var n = STEPS.length - 1;
    var zero = element("li");
    var swatch = element("span", "swatch");
    swatch.style.background = STEPS[0];
    zero.appendChild(swatch);
    zero.appendChild(document.createTextNode("0"));
    legend.appendChild(zero);
    for (var i = 1; i <= n; i++) {
      var low = (maxValue * (i - 1)) / n;
      var high = (maxValue * i) / n;
      var item = element("li");
      var box = element("span", "swatch");
      box.style.background = STEPS[i];
      item.appendChild(box);
      // Counts are whole numbers: their classes are labelled as such.
      var round = config.wholeNumbers ? function (v) { return Math.ceil(v); }
        : function (v) { return Math.round(v * 10) / 10; };
      var from = config.wholeNumbers ? Math.floor(low) + 1 : round(low);
      var to = round(high);
      if (config.wholeNumbers && from > to) {
        continue;
      }
      item.appendChild(document.createTextNode(from === to ? String(to) : from + " – " + to));
      legend.appendChild(item);
    }
  }

  var cells = L.geoJSON(null, {
    style: function (feature) {
      var p = feature.properties || {};
      return { color: "#555", weight: 1, dashArray: p.kind === "cell" ? "4 3" : null,
               fillColor: colourFor(p.value), fillOpacity: 0.65 };
    },
    onEachFeature: function (feature, layer) {
      var p = feature.properties || {};
      var box = element("div", "truce-popup");
      box.appendChild(element("strong", null, p.name || ""));
      box.appendChild(element("div", null, labels.value + ": " + p.value));
      box.appendChild(element("div", null, labels.total + ": " + p.total));
      if (p.kind === "cell") {
        box.appendChild(element("div", "approximate", labels.approximate));
      }
      var href = sameOriginUrl(p.url);
      if (href) {
        var link = element("a", null, labels.open);
        link.href = href;
        box.appendChild(link);
      }
      layer.bindPopup(box);
      layer.bindTooltip(element("span", null, (p.name || "") + ": " + p.value));
    }
  }).addTo(map);

  var structures = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      var p = feature.properties || {};
      return L.circleMarker(latlng, { radius: 5, weight: 1, color: "#222",
        fillColor: GRADE_COLOURS[p.grade] || "#888", fillOpacity: 0.9 });
    },
    onEachFeature: function (feature, layer) {
      var p = feature.properties || {};
      var box = element("div", "truce-popup");
      box.appendChild(element("strong", null, p.name || ""));
      box.appendChild(element("div", null, (config.gradeLabels || {})[p.grade] || p.grade));
      if (p.settlement) {
        box.appendChild(element("div", null, p.settlement));
      }
      var href = sameOriginUrl(p.url);
      if (href) {
        var link = element("a", null, labels.open_structure);
        link.href = href;
        box.appendChild(link);
      }
      layer.bindPopup(box);
    }
  });

  var overlays = {};
  overlays[labels.cells] = cells;
  overlays[labels.structures] = structures;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);

  var structuresLoaded = null;
  function updateStructures() {
    if (map.getZoom() < config.structureZoom) {
      if (map.hasLayer(structures)) {
        map.removeLayer(structures);
      }
      say(labels.zoom);
      return;
    }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(4);
    }).join(",");
    if (structuresLoaded === bbox) {
      return;
    }
    structuresLoaded = bbox;
    say(labels.loading);
    getJson(config.structuresUrl + "?bbox=" + bbox).then(function (collection) {
      structures.clearLayers();
      structures.addData(collection);
      if (!map.hasLayer(structures)) {
        structures.addTo(map);
      }
      say("");
    }).catch(function () {
      say(labels.failed);
    });
  }

  say(labels.loading);
  getJson(config.cellsUrl).then(function (collection) {
    maxValue = collection.max || 0;
    cells.addData(collection);
    drawLegend();
    if (note) {
      note.textContent = collection.note || "";
    }
    var bounds = cells.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [10, 10] });
    }
    say("");
    updateStructures();
  }).catch(function () {
    say(labels.failed);
  });
  map.on("moveend", updateStructures);
})();
