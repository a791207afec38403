/* How Truce draws its records on a Leaflet map; shared by the full map and
   the small map on a record's page so a thing looks the same everywhere.
   Approximate positions are dashed and faintly filled, so an estimate is never
   mistaken for a surveyed point. */
(function (global) {
  "use strict";

  var L = global.L;

  var AREA_STYLES = {
    "admin-areas": { color: "#8a96a3", weight: 1, fillColor: "#fbfbf8", fillOpacity: 0.9 },
    "zone-responsibility": { color: "#1d4ed8", weight: 2, fillColor: "#3b82f6", fillOpacity: 0.08 },
    "zone-corridor": { color: "#b45309", weight: 2, dashArray: "6 4", fillColor: "#f59e0b", fillOpacity: 0.18 }
  };

  var POINT_STYLES = {
    "op-contact_line": { radius: 7, color: "#7f1d1d", fillColor: "#dc2626" },
    "op-corridor_traffic": { radius: 7, color: "#78350f", fillColor: "#f59e0b" },
    "facility": { radius: 5, color: "#111827", fillColor: "#6b7280" },
    "settlement": { radius: 5, color: "#1f2937", fillColor: "#1f2937" }
  };

  function areaStyle(key) {
    return AREA_STYLES[key] || AREA_STYLES["admin-areas"];
  }

  function zoneKey(properties) {
    return properties && properties.kind === "corridor" ? "zone-corridor" : "zone-responsibility";
  }

  /* A circle marker (SVG path) with the given CSS classes; hollow and dashed if approximate. */
  function circle(latlng, key, classes, approximate) {
    var base = POINT_STYLES[key] || POINT_STYLES.facility;
    var options = {
      radius: base.radius,
      color: base.color,
      weight: 2,
      fillColor: base.fillColor,
      fillOpacity: approximate ? 0.25 : 0.9,
      dashArray: approximate ? "3 3" : null,
      className: classes + (approximate ? " truce-approximate" : "")
    };
    return L.circleMarker(latlng, options);
  }

  /* A settlement: a dot and its name, built from DOM nodes (names are data, never HTML). */
  function settlementMarker(latlng, name, approximate) {
    var node = document.createElement("span");
    var dot = document.createElement("span");
    dot.className = "dot";
    var label = document.createElement("span");
    label.className = "label";
    label.textContent = name || "";
    node.appendChild(dot);
    node.appendChild(label);
    return L.marker(latlng, {
      icon: L.divIcon({
        html: node,
        className: "truce-settlement" + (approximate ? " truce-approximate" : ""),
        iconSize: null
      }),
      title: name || "",
      alt: name || "",
      keyboard: true
    });
  }

  global.TruceMapStyle = {
    areaStyle: areaStyle,
    zoneKey: zoneKey,
    circle: circle,
    settlementMarker: settlementMarker,
    pointStyles: POINT_STYLES
  };
})(window);
