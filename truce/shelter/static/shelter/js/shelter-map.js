/* The shelter map: one circle per shelter the reader may see (the API layer is a
   selector), sized by capacity and coloured by free places. Popups are built from
   DOM nodes and textContent, never innerHTML: names are data. */
(function () {
  "use strict";
  var L = window.L;
  var node = document.getElementById("shelter-map-config");
  var container = document.getElementById("shelter-map");
  var status = document.getElementById("shelter-map-status");
  if (!L || !node || !container) {
    return;
  }
  var config = JSON.parse(node.textContent);
  var labels = config.labels || {};
  var map = L.map(container, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([39.8, 46.75], 9);
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { fill: true });
  }

  function line(parent, label, value) {
    var row = document.createElement("div");
    var name = document.createElement("strong");
    name.textContent = label + ": ";
    row.appendChild(name);
    row.appendChild(document.createTextNode(String(value)));
    parent.appendChild(row);
  }

  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("h3");
    title.textContent = p.name;
    box.appendChild(title);
    line(box, labels.status, (config.statusLabels || {})[p.status] || p.status);
    line(box, labels.capacity, p.capacity);
    line(box, labels.occupied, p.occupied);
    line(box, labels.allocated, p.allocated);
    line(box, labels.free, p.free);
    if (typeof p.url === "string" && p.url.charAt(0) === "/") {
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = labels.open;
      box.appendChild(link);
    }
    return box;
  }

  if (status) {
    status.textContent = labels.loading;
  }
  fetch(config.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    })
    .then(function (data) {
      // Shelters placed at their settlement's point share it: fan them out a little
      // around it so each circle can be seen and clicked (display only).
      var seen = {};
      (data.features || []).forEach(function (f) {
        var key = f.geometry ? f.geometry.coordinates.join(",") : "";
        (seen[key] = seen[key] || []).push(f);
      });
      var offset = {};
      Object.keys(seen).forEach(function (key) {
        var group = seen[key];
        group.forEach(function (f, i) {
          var angle = (2 * Math.PI * i) / group.length;
          var r = group.length > 1 ? 0.01 : 0;
          offset[f.id] = [r * Math.sin(angle), r * Math.cos(angle)];
        });
      });
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, base) {
          var shift = offset[feature.id] || [0, 0];
          var latlng = L.latLng(base.lat + shift[0], base.lng + shift[1]);
          var p = feature.properties;
          var colour = p.free > 0 ? "#3f8f3a" : "#b5462f";
          return L.circleMarker(latlng, {
            radius: 5 + Math.sqrt(Math.max(0, p.capacity)) / 2,
            color: colour,
            fillColor: colour,
            fillOpacity: 0.55,
            weight: 2
          });
        },
        onEachFeature: function (feature, marker) {
          marker.bindPopup(popup(feature.properties));
          marker.bindTooltip(feature.properties.name + " — " + labels.free + ": " + feature.properties.free);
        }
      }).addTo(map);
      var count = (data.features || []).length;
      if (count) {
        map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 11 });
      }
      if (status) {
        status.textContent = count ? "" : labels.none;
      }
    })
    .catch(function () {
      if (status) {
        status.textContent = labels.failed;
      }
    });
})();
