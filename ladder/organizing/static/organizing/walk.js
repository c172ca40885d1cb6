// A walk list on a weak connection: each answer is queued in the page (localStorage) and sent
// when the network allows; nothing is lost and nothing is recorded twice (the server records
// an entry once and answers a resend with success).
(function () {
  "use strict";
  const root = document.querySelector("[data-walk-list]");
  if (!root) return;
  const KEY = "ladder-walk-queue:" + root.dataset.walkList;
  const statusEl = document.getElementById("queue-status");

  const load = () => {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  };
  const save = (queue) => localStorage.setItem(KEY, JSON.stringify(queue));

  function showStatus() {
    const waiting = load().length;
    statusEl.dataset.waiting = String(waiting);
    statusEl.textContent = waiting
      ? waiting + (waiting === 1 ? " answer" : " answers") + " waiting for the network"
      : "All answers sent";
  }

  function cardOf(entry) {
    return document.querySelector('section[data-entry="' + entry + '"]');
  }

  function refused(entry, body) {
    const card = cardOf(entry);
    if (!card) return;
    card.dataset.state = "error";
    const note = card.querySelector(".queue-note");
    const fields = (body && body.fields) || {};
    const words = Object.values(fields).flat().join(" ");
    note.textContent = "Not saved: " + (words || (body && body.error) || "please check the answers.");
  }

  let sending = false;
  async function flush() {
    if (sending) return;
    sending = true;
    try {
      for (let queue = load(); queue.length; queue = load()) {
        const item = queue[0];
        let response;
        try {
          response = await fetch(item.url, {
            method: "POST",
            body: new URLSearchParams(item.fields),
            headers: { "X-CSRFToken": item.csrf },
            credentials: "same-origin",
          });
        } catch (offline) {
          break; // no network: the queue waits for the next try
        }
        if (response.status >= 500) break;
        save(load().filter((queued) => queued.id !== item.id));
        if (!response.ok) {
          refused(item.entry, await response.json().catch(() => null));
        } else if (cardOf(item.entry)) {
          cardOf(item.entry).querySelector(".queue-note").textContent = "Sent";
        }
      }
    } finally {
      sending = false;
      showStatus();
    }
  }

  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-queue]");
    if (!form) return;
    event.preventDefault();
    const entry = form.dataset.entry;
    const fields = Array.from(new FormData(form).entries());
    const queue = load().filter((queued) => queued.entry !== entry);
    queue.push({ id: entry + ":" + Date.now(), entry, url: form.dataset.queue,
                 csrf: form.querySelector("[name=csrfmiddlewaretoken]").value, fields });
    save(queue);
    const card = cardOf(entry);
    card.dataset.state = "saved";
    card.querySelector(".queue-note").textContent = "Saved on this phone";
    showStatus();
    flush();
  });

  window.addEventListener("online", flush);
  setInterval(flush, 3000);
  showStatus();
  flush();
})();
