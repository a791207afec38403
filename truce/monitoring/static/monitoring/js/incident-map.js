/* The incident map: incidents from /api/v1/monitoring/incidents.geojson over
   the zones and OPs (/api/v1/layers/...), with time, status, type and zone
   filters that redraw the map without reloading the page. The filters stay
   in the page's address, so a filtered view can be shared as a link.
   Popups are built from DOM nodes with textContent: every value is data. */
(function () {
  "use strict";

  var L = window.L;
  var style = window.TruceMapStyle;
  var look = window.TruceIncidentStyle;
  var clock = window.TruceMissionTime;
  var configNode = document.getElementById("incident-map-config");
  var container = document.getElementById("incident-map");
  if (!L || !style || !look || !clock || !configNode || !container) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var zone = config.missionTimeZone;
  var form = document.querySelector("[data-incident-filters]");
  var status = document.getElementById("incident-map-status");
  var listLink = document.getElementById("incident-list-link");

  var map = L.map(container, { attributionControl: Boolean(config.tileUrl), zoomSnap: 0.25 });
  map.setView([39.8, 46.75], 8);
  map.createPane("truce-zones").style.zIndex = 360;
  var tiles = config.tileUrl ? L.tileLayer(config.tileUrl, { maxZoom: 18 }).addTo(map) : null;
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

  // --- context: zones and observation posts ----------------------------------------
  var zones = L.geoJSON(null, {
    pane: "truce-zones",
    style: function (feature) { return style.areaStyle(style.zoneKey(feature.properties)); },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(element("span", null, (feature.properties || {}).name));
    }
  }).addTo(map);
  var posts = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      // Posts stay quiet here (white with a dark ring), so no colour competes with a status.
      return L.circleMarker(latlng, {
        radius: 4,
        color: "#111827",
        weight: 2,
        fillColor: "#ffffff",
        fillOpacity: 1,
        className: "truce-op-context"
      });
    },
    onEachFeature: function (feature, layer) {
      var p = feature.properties || {};
      layer.bindTooltip(element("span", null, (p.code ? p.code + " · " : "") + (p.name || "")));
    }
  }).addTo(map);

  function loadLayer(name, layer) {
    return fetch(config.layersUrl + encodeURIComponent(name), {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(name + ": HTTP " + response.status);
      }
      return response.json();
    }).then(function (collection) {
      layer.addData(collection);
    });
  }

  // --- incidents -------------------------------------------------------------------
  var rings = L.layerGroup().addTo(map);
  var incidents = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      var ring = look.uncertainty(latlng, feature.properties);
      if (ring) {
        rings.addLayer(ring);
      }
      return look.marker(latlng, feature.properties);
    },
    onEachFeature: function (feature, layer) {
      layer.bindPopup(function () { return popupContent(feature); });
    }
  }).addTo(map);

  function popupContent(feature) {
    var p = feature.properties || {};
    var box = element("div", "truce-popup");
    box.appendChild(element("strong", null, p.reference || ""));
    box.appendChild(element("div", null, (config.typeLabels || {})[p.type] || p.type || ""));
    var list = element("dl");
    function row(label, value) {
      if (value === undefined || value === null || value === "") {
        return;
      }
      list.appendChild(element("dt", null, label));
      list.appendChild(element("dd", null, value));
    }
    row(labels.status, (config.statusLabels || {})[p.status] || p.status);
    row(labels.severity, (config.severityLabels || {})[p.severity] || p.severity);
    row(labels.started, clock.display(p.started_at, zone));
    row(labels.observations, p.observation_count);
    if (p.killed || p.injured) {
      row(labels.casualties, String(p.killed || 0) + " / " + String(p.injured || 0));
    }
    if (p.uncertainty_m) {
      row(labels.uncertainty, "± " + Math.round(Number(p.uncertainty_m)) + " m");
    }
    row(labels.zone, p.zone);
    box.appendChild(list);
    if (p.approximate) {
      box.appendChild(element("div", "approximate", labels.approximate));
    }
    var href = sameOriginUrl(p.url);
    if (href) {
      var link = element("a", null, labels.open_incident);
      link.href = href;
      box.appendChild(element("div")).appendChild(link);
    }
    return box;
  }

  // --- filters: the form is the state; the address bar and the API query follow it ----
  function formValues() {
    var values = {};
    if (!form) {
      return values;
    }
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name && input.name !== "csrfmiddlewaretoken" && input.type !== "submit") {
        values[input.name] = input.value;
      }
    });
    return values;
  }

  function apiQuery(values) {
    var query = new URLSearchParams();
    Object.keys(values).forEach(function (name) {
      var value = values[name];
      if (!value) {
        return;
      }
      if (name === "since" || name === "until") {
        var instant = clock.toUtc(value, zone);
        if (instant) {
          query.set(name, instant.toISOString());
        }
        return;
      }
      query.set(name, value);
    });
    return query;
  }

  var pending = null;
  var firstLoad = true;

  function loadIncidents(query) {
    if (pending) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    container.setAttribute("data-loaded", "false");
    say(labels.loading);
    return fetch(config.geojsonUrl + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" },
      signal: pending ? pending.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var error = body && body.error ? body.error.message : "HTTP " + response.status;
          throw new Error(error);
        });
      }
      return response.json();
    }).then(function (collection) {
      rings.clearLayers();
      incidents.clearLayers();
      incidents.addData(collection);
      var count = incidents.getLayers().length;
      say(count ? labels.shown + ": " + count : labels.no_incidents);
      if (count) {
        map.fitBounds(incidents.getBounds(), { padding: [32, 32], maxZoom: 11, animate: !firstLoad });
      }
      container.setAttribute("data-loaded", "true");
      container.setAttribute("data-incidents", String(count));
      firstLoad = false;
    }).catch(function (error) {
      if (error && error.name === "AbortError") {
        return;
      }
      say(labels.failed + ": " + (error && error.message ? error.message : ""));
      container.setAttribute("data-loaded", "error");
    });
  }

  function applyFilters() {
    var values = formValues();
    var pageQuery = new URLSearchParams(values);
    // replaceState: each tweak of a filter is not a step worth going "back" through.
    window.history.replaceState(null, "", window.location.pathname + "?" + pageQuery.toString());
    if (listLink) {
      listLink.href = listLink.href.split("?")[0] + "?" + pageQuery.toString();
    }
    return loadIncidents(apiQuery(values));
  }

  if (form) {
    form.addEventListener("change", applyFilters);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      applyFilters();
    });
  }

  // The server already read the page's filters (defaulting to the current
  // mission day); start from exactly what it understood.
  var initial = new URLSearchParams();
  Object.keys(config.query || {}).forEach(function (name) {
    initial.set(name, config.query[name]);
  });

  var context = [loadLayer("zones", zones), loadLayer("observation-posts", posts)];
  Promise.all(context.map(function (p) { return p.catch(function () { return null; }); })).then(function () {
    if (!incidents.getLayers().length) {
      var bounds = L.latLngBounds([]);
      [zones, posts].forEach(function (layer) {
        if (layer.getLayers().length) {
          bounds.extend(layer.getBounds());
        }
      });
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [24, 24], maxZoom: 12, animate: false });
      }
    }
  });
  loadIncidents(initial);
})();
