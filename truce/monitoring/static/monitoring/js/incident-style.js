/* How an incident looks on any map: colour by status, size by severity,
   and a faint ring for the uncertainty of its position. */
(function (global) {
  "use strict";

  var STATUS = {
    reported: { color: "#92400e", fill: "#f59e0b" },
    under_review: { color: "#4c1d95", fill: "#8b5cf6" },
    verified: { color: "#7f1d1d", fill: "#dc2626" },
    unconfirmed: { color: "#374151", fill: "#9ca3af" },
    dismissed: { color: "#6b7280", fill: "#e5e7eb" }
  };
  var RADIUS = { low: 6, medium: 8, high: 11, critical: 14 };

  function safe(value) {
    return String(value || "").replace(/[^a-z0-9_-]/gi, "");
  }

  function marker(latlng, properties) {
    var p = properties || {};
    var look = STATUS[p.status] || STATUS.reported;
    return global.L.circleMarker(latlng, {
      radius: RADIUS[p.severity] || RADIUS.low,
      color: look.color,
      weight: 2,
      fillColor: look.fill,
      fillOpacity: p.status === "dismissed" ? 0.5 : 0.85,
      dashArray: p.approximate ? "3 3" : null,
      className: "truce-incident truce-incident-" + safe(p.status) + " truce-severity-" + safe(p.severity)
    });
  }

  function uncertainty(latlng, properties) {
    var p = properties || {};
    var metres = Number(p.uncertainty_m);
    if (!isFinite(metres) || metres <= 0) {
      return null;
    }
    var look = STATUS[p.status] || STATUS.reported;
    return global.L.circle(latlng, {
      radius: metres,
      color: look.color,
      weight: 1,
      dashArray: "4 4",
      fillColor: look.fill,
      fillOpacity: 0.08,
      interactive: false,
      className: "truce-uncertainty"
    });
  }

  global.TruceIncidentStyle = { marker: marker, uncertainty: uncertainty, status: STATUS };
})(window);
