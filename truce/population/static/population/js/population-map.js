/* The population overview map: returns per destination (blue) and registered
   households per origin (orange) as circles whose area is proportional to
   the number. The data is the page's own (json_script), built by the
   population selectors, so it holds only what the reader may see. Tooltips
   are DOM nodes with textContent: names are data. */
(function () {
  "use strict";

  var L = window.L;
  var node = document.getElementById("population-map-data");
  var container = document.getElementById("population-map");
  if (!L || !node || !container) {
    return;
  }
  var data = JSON.parse(node.textContent);
  var labels = data.labels || {};
  var map = L.map(container, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([39.7, 46.6], 8);
  var basemapUrl = container.getAttribute("data-basemap-url");
  if (basemapUrl && window.TruceBasemap) {
    window.TruceBasemap.add(map, basemapUrl, { fill: true });
  }

  function tip(props, countKey, countLabel) {
    var span = document.createElement("span");
    var strong = document.createElement("strong");
    strong.textContent = String(props.name || "");
    span.appendChild(strong);
    span.appendChild(document.createElement("br"));
    span.appendChild(document.createTextNode(String(props[countKey]) + " " + countLabel));
    return span;
  }

  function radius(value, top) {
    // Area proportional to the value: radius grows with its square root.
    return 4 + 26 * Math.sqrt(value / Math.max(top, 1));
  }

  function circles(collection, countKey, colour, countLabel) {
    var features = (collection && collection.features) || [];
    var top = 0;
    features.forEach(function (f) { top = Math.max(top, f.properties[countKey] || 0); });
    return L.geoJSON(collection, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: radius(feature.properties[countKey] || 0, top),
          color: colour, weight: 1.5, fillColor: colour, fillOpacity: 0.35
        });
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(tip(feature.properties, countKey, countLabel));
      }
    });
  }

  var returns = circles(data.returns, "people", "#1d4ed8", labels.people || "people").addTo(map);
  var origins = circles(data.origins, "households", "#c2410c", labels.households || "households").addTo(map);
  var group = L.featureGroup([returns, origins]);
  if (group.getLayers().some(function (l) { return l.getLayers().length; })) {
    map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 10 });
  }
})();
