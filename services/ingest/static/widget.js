// The hotel hub's chat widget: <script src="https://HUB/ingest/widget.js" data-hotel="HOTEL-ID" defer></script>
// Plain DOM, no dependency. The session token lives in localStorage, so a reload shows the history.
// After the agent ends the chat, the hub says so on every reload (welcome.ended): the widget shows the end
// and, for a guest who left no address, the email form. The guest's next message starts a new chat (a new
// request): the hub answers "restarted" with the new session, which the widget keeps from then on.
// A hotel that asks chat guests for a rating sends its survey token with the end (closed.survey): the widget
// shows five buttons that post the rating to /survey/<token> (the hub records it once).
(function () {
  "use strict";
  var script = document.currentScript;
  var hotel = script && script.getAttribute("data-hotel");
  if (!hotel) { return; }
  var base = new URL(script.src);
  var storageKey = "hub-chat-session-" + hotel;
  var lang = (document.documentElement.lang || navigator.language || "en").slice(0, 2) === "fr" ? "fr" : "en";
  var t = {
    fr: { title: "Discuter avec l'hôtel", placeholder: "Votre message…", send: "Envoyer", closed: "La conversation est terminée.", joined: "Un membre de l'équipe vous répond.", ask: "Pour continuer par e-mail, laissez votre adresse :", name: "Prénom", email: "E-mail", ok: "Valider", file: "Joindre un fichier", fresh: "Nouvelle conversation", bot: "assistant virtuel", rate: "Êtes-vous satisfait de cette conversation ?", rated: "Merci pour votre note !", rateFailed: "Votre note n’a pas pu être envoyée." },
    en: { title: "Chat with the hotel", placeholder: "Your message…", send: "Send", closed: "The chat has ended.", joined: "A member of the team is answering you.", ask: "To continue by email, leave your address:", name: "First name", email: "Email", ok: "OK", file: "Attach a file", fresh: "New chat", bot: "virtual assistant", rate: "Are you satisfied with this chat?", rated: "Thank you for your rating!", rateFailed: "Your rating could not be sent." }
  }[lang];

  var box = document.createElement("section");
  box.setAttribute("aria-label", t.title);
  box.style.cssText = "position:fixed;bottom:16px;right:16px;width:320px;max-height:70vh;display:flex;flex-direction:column;" +
    "font:14px system-ui,sans-serif;background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.15);z-index:99999";
  var header = document.createElement("h2");
  header.textContent = t.title;
  header.style.cssText = "margin:0;padding:8px 12px;font-size:15px;background:#1f3a5f;color:#fff;border-radius:8px 8px 0 0";
  var log = document.createElement("ol");
  log.setAttribute("aria-live", "polite");
  log.style.cssText = "list-style:none;margin:0;padding:8px;overflow-y:auto;flex:1";
  var form = document.createElement("form");
  form.style.cssText = "display:flex;gap:4px;padding:8px;border-top:1px solid #eee";
  var input = document.createElement("input");
  input.placeholder = t.placeholder;
  input.maxLength = 5000;
  input.setAttribute("aria-label", t.placeholder);
  // The message box gives way (min-width:0), never the send button, whose label must show whole.
  input.style.cssText = "flex:1 1 auto;min-width:0;padding:6px";
  var button = document.createElement("button");
  button.type = "submit";
  button.textContent = t.send;
  button.style.cssText = "flex:none;white-space:nowrap;padding:6px 10px";
  var attach = document.createElement("input");
  attach.type = "file";
  attach.setAttribute("aria-label", t.file);
  attach.style.cssText = "flex:0 1 90px;min-width:0;width:90px";
  attach.onchange = function () {
    var session = localStorage.getItem(storageKey);
    if (!attach.files.length || !session) { return; }
    var data = new FormData();
    data.append("session", session);
    data.append("file", attach.files[0]);
    fetch(base.origin + "/ingest/chat/" + encodeURIComponent(hotel) + "/files", { method: "POST", body: data })
      .then(function (response) { show("guest", (response.ok ? "📎 " : "⚠ ") + attach.files[0].name); attach.value = ""; });
  };
  form.append(input, attach, button);
  box.append(header, log, form);
  document.body.appendChild(box);

  function show(from, text, files, author) {
    var item = document.createElement("li");
    if (from === "bot") {  // the hotel's chatbot says who it is, so no guest takes it for a person
      var label = document.createElement("strong");
      label.className = "hub-chat-bot";
      label.textContent = "🤖 " + (author || "") + " · " + t.bot;
      label.style.cssText = "display:block;font-size:12px;color:#555";
      item.appendChild(label);
    }
    item.appendChild(document.createTextNode(text));  // never innerHTML: what agents and guests type is text
    (files || []).forEach(function (file) {
      var link = document.createElement("a");
      link.href = base.origin + file.url;
      link.textContent = "📎 " + file.filename;
      link.style.cssText = "display:block";
      item.appendChild(link);
    });
    item.style.cssText = "margin:4px 0;padding:6px 8px;border-radius:6px;max-width:85%;white-space:pre-wrap;" +
      (from === "guest" ? "margin-left:auto;background:#e8f0fe" : "background:#f1f1f1");
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  var socket;
  var counter = 0;
  var ended = false;  // the agent ended this session's chat: the next message starts a new one
  var identified = false;  // the guest left their email address in this session
  var asking = null;  // the email form, while shown

  function showEnded() {
    ended = true;
    attach.disabled = true;  // a file would reach the ended request: a message starts the new chat first
    show("agent", t.closed);
    if (!identified) { askEmail(); }
  }

  function connect() {
    var url = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/ingest/chat/" + encodeURIComponent(hotel);
    socket = new WebSocket(url);
    socket.onopen = function () { socket.send(JSON.stringify({ type: "hello", session: localStorage.getItem(storageKey) })); };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "welcome") {
        localStorage.setItem(storageKey, frame.session);
        log.textContent = "";
        frame.history.forEach(function (m) { show(m.from, m.text, m.files, m.author); });
        identified = !!frame.identified;
        if (frame.ended) { showEnded(); } else { ended = false; attach.disabled = false; }
      } else if (frame.type === "message") {
        show(frame.from, frame.text, frame.files, frame.author);
      } else if (frame.type === "closed") {
        showEnded();
        if (frame.survey) { askRating(frame.survey); }
      } else if (frame.type === "handed_over") {
        show("agent", t.joined);
        if (frame.identified) { identified = true; }  // the chatbot already has the guest's address
        if (!identified) { askEmail(); }
      } else if (frame.type === "identified") {
        identified = true;
      } else if (frame.type === "restarted") {
        localStorage.setItem(storageKey, frame.session);
        attach.disabled = false;
      } else if (frame.type === "error") {
        show("agent", "⚠ " + frame.message);
      }
    };
    socket.onclose = function () { setTimeout(connect, 3000); };
  }

  // The hotel asks for a rating after the chat (its survey): five buttons posting to /survey/<token>, once.
  var rating = null;
  function askRating(token) {
    if (rating) { return; }
    var ask = rating = document.createElement("div");
    ask.setAttribute("role", "group");
    ask.className = "hub-chat-rating";
    ask.style.cssText = "display:flex;flex-wrap:wrap;gap:4px;padding:8px;border-top:1px solid #eee";
    var question = document.createElement("p");
    question.textContent = t.rate;
    question.style.cssText = "flex-basis:100%;margin:0 0 4px";
    ask.appendChild(question);
    [1, 2, 3, 4, 5].forEach(function (value) {
      var choice = document.createElement("button");
      choice.type = "button";
      choice.textContent = value + " ★";
      choice.setAttribute("aria-label", value + "/5");
      choice.style.cssText = "flex:1;padding:6px 0";
      choice.onclick = function () {
        var body = new URLSearchParams();
        body.append("rating", String(value));
        fetch(base.origin + "/survey/" + encodeURIComponent(token), { method: "POST", body: body })
          .then(function (response) { return response.ok || response.status === 409; }, function () { return false; })
          .then(function (done) {
            ask.textContent = done ? t.rated : t.rateFailed;
            if (done) { setTimeout(function () { ask.remove(); rating = null; }, 4000); }
          });
      };
      ask.appendChild(choice);
    });
    box.insertBefore(ask, form);
  }

  function askEmail() {
    if (asking) { return; }
    var ask = asking = document.createElement("form");
    ask.style.cssText = "display:flex;flex-direction:column;gap:4px;padding:8px";
    var label = document.createElement("p");
    label.textContent = t.ask;
    var name = document.createElement("input"); name.placeholder = t.name; name.maxLength = 100;
    var email = document.createElement("input"); email.type = "email"; email.placeholder = t.email; email.required = true;
    var ok = document.createElement("button"); ok.type = "submit"; ok.textContent = t.ok;
    ask.append(label, name, email, ok);
    ask.onsubmit = function (event) {
      event.preventDefault();
      socket.send(JSON.stringify({ type: "identify", name: name.value, email: email.value }));
      ask.remove();
      asking = null;
    };
    box.insertBefore(ask, form);
  }

  form.onsubmit = function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) { return; }
    counter += 1;
    socket.send(JSON.stringify({ type: "message", id: Date.now().toString(36) + "-" + counter, text: text }));
    if (ended) {  // the hub opens the new chat with this message, and answers "restarted"
      ended = false;
      if (asking) { asking.remove(); asking = null; }
      if (rating) { rating.remove(); rating = null; }
      show("agent", "— " + t.fresh + " —");
    }
    show("guest", text);
    input.value = "";
  };
  connect();
})();
