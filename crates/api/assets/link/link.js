// Deskbridge Link page: submits the form without reloading (the page also works without
// JavaScript), shows Freshdesk's answer in plain words, and hands the public token to the
// window that opened the page (postMessage), to the parent frame, or to the redirect URL.
"use strict";

(function () {
  var MESSAGE_TYPE = "deskbridge-link";

  // The public token goes only to the origins the operator allows
  // (DESKBRIDGE_LINK_EMBED_ORIGINS), never to "whoever opened or framed this page": the browser
  // delivers each message only if the target window is at that origin.
  function handOff(main) {
    var token = main.getAttribute("data-public-token");
    if (!token) return;
    var message = {
      type: MESSAGE_TYPE,
      status: "success",
      public_token: token,
      integration: main.getAttribute("data-integration")
    };
    var origins = (main.getAttribute("data-embed-origins") || "").split(" ").filter(Boolean);
    var redirect = main.getAttribute("data-redirect");
    var next = document.getElementById("next");
    var opener = window.opener && !window.opener.closed ? window.opener : null;
    var parent = window.parent && window.parent !== window ? window.parent : null;
    var target = opener || parent;
    if (target && origins.length) {
      origins.forEach(function (origin) { target.postMessage(message, origin); });
      if (opener && next) next.textContent = "Done. This window can be closed.";
    } else if (redirect) {
      if (next) next.textContent = "Taking you back…";
      window.location.assign(redirect);
    }
  }

  function showError(form, text) {
    var box = document.getElementById("error");
    box.textContent = text;
    box.hidden = false;
    box.focus();
    var key = document.getElementById("api_key");
    if (key) key.setAttribute("aria-invalid", "true");
  }

  function showDone(result) {
    var main = document.getElementById("main");
    var org = document.querySelector(".eyebrow");
    var orgName = org ? org.textContent : "";
    main.innerHTML = "";
    var eyebrow = document.createElement("p");
    eyebrow.className = "eyebrow";
    eyebrow.textContent = orgName;
    var title = document.createElement("h1");
    title.id = "title";
    title.tabIndex = -1;
    var check = document.createElement("span");
    check.className = "check";
    check.setAttribute("aria-hidden", "true");
    check.textContent = "✓";
    title.appendChild(check);
    title.appendChild(document.createTextNode(" " + result.integration_name + " is connected"));
    var body = document.createElement("p");
    body.textContent = "Thank you. " + orgName + " can now read your helpdesk and write tickets and comments to it; the first copy of your tickets is being made.";
    var next = document.createElement("p");
    next.id = "next";
    next.className = "status";
    next.setAttribute("role", "status");
    next.textContent = "You can close this window.";
    main.append(eyebrow, title, body, next);
    if (result.push_setup) main.append(pushSetup(result.push_setup));
    else if (result.push_installed) main.append(pushInstalled(result.integration_name));
    document.title = result.integration_name + " is connected · Deskbridge Link";
    main.setAttribute("data-public-token", result.public_token);
    main.setAttribute("data-integration", result.integration);
    if (result.redirect_url) main.setAttribute("data-redirect", result.redirect_url);
    title.focus();
    handOff(main);
  }

  // Deskbridge installed the push itself (an admin's credential): say what was added.
  function pushInstalled(name) {
    var section = document.createElement("section");
    section.id = "push";
    var h = document.createElement("h2");
    h.textContent = "See ticket changes within seconds";
    var p = document.createElement("p");
    p.textContent = "Deskbridge set up " + name + " to tell it when a ticket changes (what it added there is named \"Deskbridge push\"). Nothing to do: disconnecting removes it.";
    section.append(h, p);
    return section;
  }

  // The helpdesk rule that sends ticket changes (text only: nothing is parsed as HTML).
  function pushSetup(setup) {
    var el = function (tag, text) {
      var e = document.createElement(tag);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    var section = el("section");
    section.id = "push";
    section.append(el("h2", "See ticket changes within seconds"),
      el("p", "Set up this rule in your helpdesk so that it tells Deskbridge when a ticket changes. Keep the secret private; it is shown only now."));
    var steps = el("ol");
    setup.steps.forEach(function (s) { steps.append(el("li", s)); });
    var dl = el("dl");
    [["URL", setup.url], ["Header", setup.header_name + ": " + setup.header_value],
     ["JSON body", setup.body_template]].forEach(function (row) {
      var dd = el("dd");
      dd.append(el("pre", row[1]));
      dl.append(el("dt", row[0]), dd);
    });
    section.append(steps, dl);
    return section;
  }

  function enhance(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = document.getElementById("submit");
      var status = document.getElementById("status");
      var data = {};
      new FormData(form).forEach(function (value, key) { data[key] = String(value); });
      button.disabled = true;
      status.textContent = "Checking with Freshdesk…";
      fetch(window.location.href, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(data)
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) {
          return { ok: res.ok, body: body };
        });
      }).then(function (r) {
        status.textContent = "";
        button.disabled = false;
        if (r.ok && r.body.public_token) {
          showDone(r.body);
        } else {
          showError(form, r.body.detail || "Something went wrong; please try again.");
        }
      }).catch(function () {
        status.textContent = "";
        button.disabled = false;
        showError(form, "Deskbridge could not be reached. Check your connection and try again.");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("link-form");
    if (form && window.fetch && window.FormData) enhance(form);
    var main = document.getElementById("main");
    if (main) handOff(main);
  });
})();
