/* Mission time <-> UTC in the browser, with no library: datetime-local inputs
   hold the mission's wall time (what operators and analysts think in), the
   API speaks UTC. Intl knows the zone's offset at any instant, daylight
   saving included, so the conversion is right whatever zone the phone is set to. */
(function (global) {
  "use strict";

  var LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

  function parts(date, zone) {
    var values = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit"
    }).formatToParts(date).forEach(function (part) {
      values[part.type] = part.value;
    });
    return values;
  }

  // Minutes the zone is ahead of UTC at the given instant.
  function offsetMinutes(date, zone) {
    var v = parts(date, zone);
    var wall = Date.UTC(+v.year, +v.month - 1, +v.day, +v.hour % 24, +v.minute, +v.second);
    return Math.round((wall - Math.floor(date.getTime() / 1000) * 1000) / 60000);
  }

  /* "2020-11-20T18:05" read as wall time in `zone` -> a Date (or null if malformed). */
  function toUtc(local, zone) {
    var m = LOCAL.exec(String(local || ""));
    if (!m) {
      return null;
    }
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    if (!zone) {
      return new Date(wall);
    }
    // Twice: the offset at the guessed instant may differ across a DST change.
    var guess = wall - offsetMinutes(new Date(wall), zone) * 60000;
    return new Date(wall - offsetMinutes(new Date(guess), zone) * 60000);
  }

  /* A Date -> "YYYY-MM-DDTHH:MM" wall time in `zone`, for a datetime-local input. */
  function toLocalInput(date, zone) {
    var v = parts(date, zone || "UTC");
    return v.year + "-" + v.month + "-" + v.day + "T" + (v.hour === "24" ? "00" : v.hour) + ":" + v.minute;
  }

  /* An ISO instant shown in mission time, e.g. "2020-11-20 18:05". */
  function display(iso, zone) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return "";
    }
    return toLocalInput(date, zone).replace("T", " ");
  }

  global.TruceMissionTime = { toUtc: toUtc, toLocalInput: toLocalInput, display: display };
})(window);
