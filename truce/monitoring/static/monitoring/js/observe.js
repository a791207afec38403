/* The phone observation form over a bad link. Without this script the form
   posts to the server like any form. With it, each observation goes to the
   outbox in localStorage first, then to the API by fetch; a dropped link is
   retried with growing pauses, and a reload keeps the outbox. Every retry
   reuses the observation's client UUID, so the server records it once and
   answers a resend with the first result. */
(function () {
  "use strict";

  var form = document.getElementById("observe-form");
  var configNode = document.getElementById("observe-config");
  var outbox = document.getElementById("outbox");
  var clock = window.TruceMissionTime;
  if (!form || !configNode || !outbox || !window.fetch || !window.JSON) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var labels = config.labels || {};
  var zone = config.missionTimeZone;
  var list = outbox.querySelector("[data-outbox-list]");
  var empty = outbox.querySelector("[data-outbox-empty]");
  var STORE = "truce.monitoring.outbox.v1";
  var MAX_DELAY = 60000;
  var inFlight = {};
  var timers = {};
  var memory = null; // when localStorage is unavailable (private mode), keep the outbox here

  var INTEGERS = ["count", "killed_military", "killed_civilian", "injured_military", "injured_civilian"];
  var DECIMALS = ["bearing_deg", "distance_m", "lon", "lat"];
  var TEXTS = ["observer_kind", "observer_post", "observer_label", "type", "weapon_type",
    "direction_of_fire", "direction_place", "text"];

  // --- storage ---------------------------------------------------------------------------
  function load() {
    if (memory) {
      return memory;
    }
    try {
      var items = JSON.parse(window.localStorage.getItem(STORE) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (error) {
      memory = [];
      return memory;
    }
  }

  function save(items) {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(items));
      memory = null;
    } catch (error) {
      memory = items;
    }
  }

  function update(uuid, changes) {
    var items = load();
    items.forEach(function (item) {
      if (item.uuid === uuid) {
        Object.keys(changes).forEach(function (key) { item[key] = changes[key]; });
      }
    });
    save(items);
    render();
  }

  function remove(uuid) {
    save(load().filter(function (item) { return item.uuid !== uuid; }));
    render();
  }

  function find(uuid) {
    return load().filter(function (item) { return item.uuid === uuid; })[0] || null;
  }

  // --- the form ----------------------------------------------------------------------------
  function newUuid() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; a plain-HTTP intranet still has getRandomValues.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function field(name) {
    return form.elements.namedItem(name);
  }

  function body() {
    var data = { client_uuid: field("client_uuid").value };
    var observed = clock ? clock.toUtc(field("observed_at").value, zone) : new Date(field("observed_at").value);
    data.observed_at = observed ? observed.toISOString().replace(".000Z", "Z") : field("observed_at").value;
    TEXTS.forEach(function (name) {
      var input = field(name);
      if (input && input.value.trim()) {
        data[name] = input.value.trim();
      }
    });
    INTEGERS.forEach(function (name) {
      var input = field(name);
      if (input && input.value !== "" && !(name !== "count" && Number(input.value) === 0)) {
        data[name] = parseInt(input.value, 10);
      }
    });
    DECIMALS.forEach(function (name) {
      var input = field(name);
      if (input && input.value.trim() !== "") {
        data[name] = Number(input.value.replace(",", "."));
      }
    });
    return data;
  }

  function summary() {
    var type = field("type");
    var text = type && type.selectedIndex >= 0 ? type.options[type.selectedIndex].text : "";
    return text + " · " + field("observed_at").value.replace("T", " ");
  }

  function resetForm() {
    field("client_uuid").value = newUuid();
    field("observed_at").value = clock ? clock.toLocalInput(new Date(), zone) : "";
    ["count"].forEach(function (name) { field(name).value = "1"; });
    INTEGERS.slice(1).forEach(function (name) { field(name).value = "0"; });
    DECIMALS.concat(["weapon_type", "direction_place", "text"]).forEach(function (name) {
      field(name).value = "";
    });
    field("direction_of_fire").value = "";
    // Observer kind and post stay: the operator is still at the same post.
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = body();
    var items = load();
    if (!items.some(function (item) { return item.uuid === data.client_uuid; })) {
      items.push({
        uuid: data.client_uuid,
        body: data,
        summary: summary(),
        state: "queued",
        attempts: 0,
        error: null,
        created: new Date().toISOString()
      });
      save(items);
    }
    render();
    send(data.client_uuid);
    resetForm();
    if (!outbox.querySelector("[data-saved]")) {
      outbox.insertBefore(notice(), list);
    }
    // Ready for the next report, with the outbox (above the form) in view.
    field("type").focus({ preventScroll: true });
    outbox.scrollIntoView({ block: "start" });
  });

  function notice() {
    var node = document.createElement("p");
    node.className = "saved-notice";
    node.setAttribute("data-saved", "");
    node.setAttribute("role", "status");
    node.textContent = labels.saved || "";
    return node;
  }

  var nowButton = form.querySelector("[data-now]");
  if (nowButton && clock) {
    nowButton.hidden = false;
    nowButton.addEventListener("click", function () {
      field("observed_at").value = clock.toLocalInput(new Date(), zone);
    });
  }

  // --- sending -------------------------------------------------------------------------
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var input = form.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function retryLater(uuid, message) {
    var item = find(uuid);
    if (!item) {
      return;
    }
    var attempts = (item.attempts || 0) + 1;
    // 1 s, 2 s, 4 s ... up to a minute, with jitter so many phones do not retry in step.
    var delay = Math.min(MAX_DELAY, 1000 * Math.pow(2, attempts - 1)) * (0.8 + Math.random() * 0.4);
    update(uuid, {
      state: "retrying",
      attempts: attempts,
      error: message || null,
      retryAt: Date.now() + delay
    });
    clearTimeout(timers[uuid]);
    timers[uuid] = setTimeout(function () { send(uuid); }, delay);
  }

  function send(uuid) {
    var item = find(uuid);
    if (!item || inFlight[uuid] || item.state === "rejected") {
      return;
    }
    clearTimeout(timers[uuid]);
    inFlight[uuid] = true;
    update(uuid, { state: "sending" });
    fetch(config.apiUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (payload) {
        delete inFlight[uuid];
        if (response.status === 200 || response.status === 201) {
          remove(uuid);
          sentLine(item, response.status === 201 ? labels.sent : labels.duplicate);
          return;
        }
        var error = payload && payload.error ? payload.error : null;
        var message = error ? error.message : "HTTP " + response.status;
        if (response.status >= 500 || response.status === 408 || response.status === 429) {
          retryLater(uuid, message);
          return;
        }
        // The server refused it (bad input, a UUID clash, signed out): retrying
        // the same bytes cannot help; keep it visible for the operator.
        update(uuid, { state: "rejected", error: message, field: error ? error.field : null });
      });
    }, function () {
      delete inFlight[uuid];
      retryLater(uuid, null);
    });
  }

  function sendAll() {
    load().forEach(function (item) {
      if (item.state !== "rejected") {
        send(item.uuid);
      }
    });
  }

  // --- the outbox on screen -----------------------------------------------------------
  var sentList = document.createElement("ul");
  sentList.className = "outbox-sent";
  outbox.appendChild(sentList);

  function sentLine(item, label) {
    var li = document.createElement("li");
    li.className = "outbox-item outbox-sent-item";
    li.setAttribute("data-state", "sent");
    li.setAttribute("data-uuid", item.uuid);
    li.textContent = (label || "") + ": " + item.summary;
    sentList.insertBefore(li, sentList.firstChild);
    while (sentList.childNodes.length > 5) {
      sentList.removeChild(sentList.lastChild);
    }
  }

  function stateText(item) {
    if (item.state === "retrying") {
      var seconds = Math.max(0, Math.round(((item.retryAt || Date.now()) - Date.now()) / 1000));
      return (labels.retrying || "").replace("%(seconds)s", String(seconds));
    }
    return labels[item.state] || item.state;
  }

  function button(text, handler) {
    var node = document.createElement("button");
    node.type = "button";
    node.textContent = text;
    node.addEventListener("click", handler);
    return node;
  }

  function render() {
    var items = load();
    outbox.hidden = false;
    list.textContent = "";
    empty.hidden = items.length > 0;
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "outbox-item outbox-" + item.state;
      li.setAttribute("data-state", item.state);
      li.setAttribute("data-uuid", item.uuid);
      var title = document.createElement("strong");
      title.textContent = item.summary;
      li.appendChild(title);
      var state = document.createElement("span");
      state.className = "outbox-state";
      state.textContent = stateText(item);
      li.appendChild(state);
      if (item.error) {
        var error = document.createElement("span");
        error.className = "outbox-error";
        error.textContent = (item.field ? item.field + ": " : "") + item.error;
        li.appendChild(error);
      }
      var actions = document.createElement("span");
      actions.className = "outbox-actions";
      actions.appendChild(button(labels.retry_now, function () {
        update(item.uuid, { state: "queued", attempts: 0 });
        send(item.uuid);
      }));
      if (item.state === "rejected") {
        actions.appendChild(button(labels.discard, function () { remove(item.uuid); }));
      }
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  window.addEventListener("online", sendAll);
  window.addEventListener("storage", function (event) {
    if (event.key === STORE) {
      render();
    }
  });
  // A countdown that moves, so the operator can see the phone is still trying.
  setInterval(function () {
    if (load().some(function (item) { return item.state === "retrying"; })) {
      render();
    }
  }, 1000);

  render();
  // Whatever a reload or a dropped link left in the outbox goes out again now,
  // under its own UUID. Items caught "sending" by a reload are sent again too.
  sendAll();
})();
