/* The full-screen map: overlays loaded as GeoJSON from /api/v1/layers/<layer>.
   The session cookie authenticates the requests, so each party's map shows
   exactly what its selectors allow. No tile server is needed: admin areas
   and zones give the map its shape; a tile layer is added only if the
   deployment configured one. Under everything lie country outlines and
   names (../basemap/), toggled as "Country outlines", so a reader can tell where they
   are. Popups are built with DOM nodes and textContent, never innerHTML,
   because names are data. */
(function () {
  "use strict";

  var L = window.L;
  var style = window.TruceMapStyle;
  var configNode = document.getElementById("truce-map-config");
  var container = document.getElementById("truce-map");
  if (!L || !style || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var kindLabels = config.kindLabels || {};

  // Quarter-step zoom lets fitBounds fill the screen with a small area of interest.
  var map = L.map(container, { attributionControl: Boolean(config.tileUrl), zoomSnap: 0.25 });
  // Somewhere sensible until the data tells us where to look.
  map.setView([39.8, 46.75], 8);
  map.createPane("truce-areas").style.zIndex = 350;
  map.createPane("truce-zones").style.zIndex = 360;

  var tiles = null;
  if (config.tileUrl) {
    tiles = L.tileLayer(config.tileUrl, { maxZoom: 18 }).addTo(map);
  }

  // Country outlines and names, under every data layer; over tiles, outlines only.
  var basemapUrl = container.getAttribute("data-basemap-url");
  var basemap = null;
  if (basemapUrl && window.TruceBasemap) {
    basemap = window.TruceBasemap.add(map, basemapUrl, { fill: !tiles });
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

  // Only links back into this site: a feature's url must never become javascript: or elsewhere.
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

  function popupContent(feature) {
    var p = feature.properties || {};
    var box = element("div", "truce-popup");
    box.appendChild(element("strong", null, p.name || ""));
    if (Array.isArray(p.other_names) && p.other_names.length) {
      box.appendChild(element("div", "others", "(" + p.other_names.join(", ") + ")"));
    }
    var list = element("dl");
    function row(label, value) {
      if (value === undefined || value === null || value === "") {
        return;
      }
      list.appendChild(element("dt", null, label));
      list.appendChild(element("dd", null, value));
    }
    if (p.layer === "admin-areas") {
      row(labels.level, p.level);
    } else {
      row(labels.kind, kindLabels[p.op_role] || kindLabels[p.kind] || p.kind);
    }
    row(labels.pcode, p.pcode);
    row(labels.code, p.code);
    row(labels.battalion, p.battalion);
    row(labels.zone, p.zone);
    row(labels.population, p.baseline_population);
    if (list.childNodes.length) {
      box.appendChild(list);
    }
    if (p.approximate) {
      box.appendChild(element("div", "approximate", labels.approximate));
    }
    var href = sameOriginUrl(p.url);
    if (href) {
      var link = element("a", null, labels.open);
      link.href = href;
      box.appendChild(element("div")).appendChild(link);
    }
    return box;
  }

  function bindPopup(feature, layer) {
    layer.bindPopup(function () {
      return popupContent(feature);
    });
  }

  // Each overlay: which API layer feeds it, which features it keeps, how it draws them.
  var overlays = [
    {
      key: "admin-areas",
      source: "admin-areas",
      swatch: { color: "#8a96a3", fill: "#fbfbf8" },
      options: { pane: "truce-areas", style: function () { return style.areaStyle("admin-areas"); } }
    },
    {
      key: "zones",
      source: "zones",
      swatch: { color: "#1d4ed8", fill: "#dbe6fd" },
      options: {
        pane: "truce-zones",
        style: function (feature) { return style.areaStyle(style.zoneKey(feature.properties)); }
      }
    },
    {
      key: "settlements",
      source: "settlements",
      swatch: { color: "#1f2937", fill: "#1f2937", round: true },
      options: {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties || {};
          return style.settlementMarker(latlng, p.name, Boolean(p.approximate));
        }
      }
    },
    opOverlay("contact_line"),
    opOverlay("corridor_traffic"),
    {
      key: "facilities",
      source: "facilities",
      swatch: { color: "#111827", fill: "#6b7280", round: true },
      options: {
        // Observation posts have overlays of their own.
        filter: function (feature) {
          return !feature.properties || feature.properties.kind !== "observation_post";
        },
        pointToLayer: function (feature, latlng) {
          var p = feature.properties || {};
          var kind = String(p.kind || "other").replace(/[^a-z0-9_-]/gi, "");
          return style.circle(latlng, "facility", "truce-facility truce-facility-" + kind, Boolean(p.approximate));
        }
      }
    }
  ];

  function opOverlay(role) {
    var key = "op-" + role;
    var look = style.pointStyles[key];
    return {
      key: key,
      source: "observation-posts",
      swatch: { color: look.color, fill: look.fillColor, round: true },
      options: {
        filter: function (feature) {
          return Boolean(feature.properties) && feature.properties.op_role === role;
        },
        pointToLayer: function (feature, latlng) {
          return style.circle(latlng, key, "truce-op truce-op-" + role, Boolean(feature.properties.approximate));
        }
      }
    };
  }

  overlays.forEach(function (overlay) {
    overlay.options.onEachFeature = bindPopup;
    overlay.layer = L.geoJSON(null, overlay.options).addTo(map);
  });

  // --- the legend, which is also the layer switcher ---------------------------------
  var status = element("p", "status");
  status.setAttribute("role", "status");
  var Legend = L.Control.extend({
    options: { position: "topright" },
    onAdd: function () {
      var box = element("div", "truce-legend");
      var fieldset = element("fieldset");
      fieldset.appendChild(element("legend", null, labels.legend));
      if (tiles) {
        fieldset.appendChild(toggle(labels.tiles, tiles, null, null));
      }
      if (basemap) {
        fieldset.appendChild(toggle(labels.borders, basemap.layer, window.TruceBasemap.swatch, null));
      }
      overlays.forEach(function (overlay) {
        overlay.count = element("span", "count", labels.loading);
        fieldset.appendChild(toggle(labels[overlay.key], overlay.layer, overlay.swatch, overlay.count));
      });
      box.appendChild(fieldset);
      box.appendChild(status);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });

  function toggle(text, layer, swatch, count) {
    var label = element("label");
    var input = element("input");
    input.type = "checkbox";
    input.checked = true;
    input.addEventListener("change", function () {
      if (input.checked) {
        map.addLayer(layer);
      } else {
        map.removeLayer(layer);
      }
    });
    label.appendChild(input);
    if (swatch) {
      var mark = element("span", "swatch" + (swatch.round ? " swatch-round" : ""));
      mark.style.borderColor = swatch.color;
      mark.style.background = swatch.fill;
      label.appendChild(mark);
    }
    label.appendChild(element("span", null, text));
    if (count) {
      label.appendChild(count);
    }
    return label;
  }

  new Legend().addTo(map);

  // --- loading ---------------------------------------------------------------------------
  var sources = {};
  overlays.forEach(function (overlay) {
    if (!sources[overlay.source]) {
      sources[overlay.source] = fetch(config.layersUrl + encodeURIComponent(overlay.source), {
        credentials: "same-origin",
        headers: { Accept: "application/geo+json, application/json" }
      }).then(function (response) {
        if (!response.ok) {
          throw new Error(overlay.source + ": HTTP " + response.status);
        }
        return response.json();
      });
    }
  });

  var failed = [];
  var loads = overlays.map(function (overlay) {
    return sources[overlay.source].then(
      function (collection) {
        overlay.layer.addData(collection);
        overlay.count.textContent = String(overlay.layer.getLayers().length);
      },
      function () {
        overlay.count.textContent = "—";
        failed.push(labels[overlay.key]);
      }
    );
  });
  if (basemap) {
    loads.push(basemap.loaded.catch(function () {
      failed.push(labels.borders);
    }));
  }

  Promise.all(loads).then(function () {
    if (failed.length) {
      status.textContent = labels.failed + ": " + failed.join(", ");
    }
    // Fit the theatre: areas, zones, settlements and posts, never the base
    // map's countries, which are far larger. Other facilities
    // may lie far away (a supply depot in another country) and would shrink
    // the area of interest to a speck; they count only if nothing else does.
    function boundsOf(list) {
      var bounds = L.latLngBounds([]);
      list.forEach(function (overlay) {
        if (overlay.layer.getLayers().length) {
          bounds.extend(overlay.layer.getBounds());
        }
      });
      return bounds;
    }
    var bounds = boundsOf(overlays.filter(function (overlay) { return overlay.key !== "facilities"; }));
    if (!bounds.isValid()) {
      bounds = boundsOf(overlays);
    }
    if (bounds.isValid()) {
      // No animation: the first view a user (or a screenshot) gets is the whole picture.
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13, animate: false });
    } else if (!failed.length) {
      status.textContent = labels.empty;
    }
    container.setAttribute("data-loaded", "true");
  });

  // Names of settlements crowd each other when zoomed out; show them from zoom 9.
  function updateZoomClass() {
    container.classList.toggle("truce-zoomed-out", map.getZoom() < 9);
  }
  map.on("zoomend", updateZoomClass);
  updateZoomClass();
})();
