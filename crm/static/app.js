// Unplugged front-end glue. No inline script anywhere (the CSP forbids it), no eval.
// Everything here is an enhancement: every action is a real link or form underneath.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // --- HTMX: safe settings, applied before htmx processes the page -----------------------
  if (window.htmx) {
    htmx.config.allowEval = false;
    htmx.config.allowScriptTags = false;
    htmx.config.selfRequestsOnly = true;
    htmx.config.includeIndicatorStyles = false;
    htmx.config.historyCacheSize = 0;
    htmx.config.refreshOnHistoryMiss = true;
    // New content is wired up as soon as it is swapped in (no settle transitions here), so a
    // key pressed right after a page change already goes through htmx.
    htmx.config.defaultSettleDelay = 0;
    // Validation errors (422) and reply collisions (409) carry a form to show: swap them.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409", swap: true, error: false },
      { code: "422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false }
    ];
  }

  // Every HTMX request carries the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) evt.detail.headers["X-CSRF-Token"] = meta.content;
  });

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // --- the composer: count as the network counts, Ctrl+Enter sends, typing is presence ----
  // The counter is the server's (the textarea's hx-post, inbox/limits.py): the same
  // function that refuses a reply counts it as it is typed, so no rule is copied here.

  var typingTimer = null;
  function setPresence(state) {
    var input = document.getElementById("pulse-state");
    if (!input || input.value === state) return;
    input.value = state;
    document.body.dispatchEvent(new CustomEvent("presence-change"));
  }

  function bindComposer(root) {
    $all("textarea[data-composer]", root).forEach(function (area) {
      if (area.dataset.bound) return;
      area.dataset.bound = "1";
      area.addEventListener("input", function () {
        if (area.value.trim()) {
          setPresence("typing");
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { setPresence("viewing"); }, 15000);
        } else {
          setPresence("viewing");
        }
      });
      area.addEventListener("keydown", function (evt) {
        if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && area.form) {
          evt.preventDefault();
          area.form.requestSubmit();
        }
      });
    });
  }

  // --- menus: <details class="menu"> work without JS; with it they behave like menus --------
  function menuItems(menu) {
    return $all(".menu-panel input:not([type=hidden]), .menu-panel button", menu).filter(function (el) {
      return !el.disabled && el.offsetParent !== null;
    });
  }
  function closeMenus(except) {
    $all("details.menu[open]").forEach(function (menu) { if (menu !== except) menu.open = false; });
  }
  function openMenu(menu) {
    closeMenus(menu);
    menu.open = true;
    var first = menuItems(menu)[0];  // in page order: a name box, else the first choice
    if (first) first.focus();
    menu.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("toggle", function (evt) {
    var menu = evt.target;
    if (menu.matches && menu.matches("details.menu") && menu.open) closeMenus(menu);
  }, true);
  document.addEventListener("click", function (evt) {
    if (!evt.target.closest("details.menu")) closeMenus(null);
  });
  document.addEventListener("keydown", function (evt) {
    var menu = evt.target.closest && evt.target.closest("details.menu[open]");
    if (!menu) return;
    if (evt.key === "Escape") {
      evt.preventDefault();
      menu.open = false;
      $("summary", menu).focus();
    } else if ((evt.key === "ArrowDown" || evt.key === "ArrowUp") && evt.target.tagName !== "SELECT") {
      var items = menuItems(menu);
      var i = items.indexOf(evt.target);
      if (i < 0 && evt.target.tagName === "SUMMARY") i = -1;
      var next = items[(i + (evt.key === "ArrowDown" ? 1 : -1) + items.length) % items.length];
      if (next) { evt.preventDefault(); next.focus(); }
    }
  });

  // --- the list: a current row, selection for bulk triage ---------------------------------
  function rows() { return $all("#conversation-list > li.row"); }
  function currentRow() {
    var active = document.activeElement && document.activeElement.closest && document.activeElement.closest("li.row");
    return active || $("#conversation-list > li.row.is-current");
  }
  function focusRow(row) {
    rows().forEach(function (r) { r.classList.toggle("is-current", r === row); });
    if (!row) return;
    var link = $(".row-link", row);
    link.focus();
    row.scrollIntoView({ block: "nearest" });
  }
  function moveRow(step) {
    var list = rows();
    if (!list.length) return;
    var i = list.indexOf(currentRow());
    if (i < 0) { focusRow(list[0]); return; }
    var j = i + step;
    if (j >= list.length) {
      var more = $("#conversation-list > li.more a");
      if (more) more.click();
      j = list.length - 1;
    }
    focusRow(list[Math.max(0, j)]);
  }
  function selectedBoxes() { return $all("#conversation-list .row-select:checked"); }
  function updateSelection() {
    var count = document.getElementById("selected-count");
    var n = selectedBoxes().length;
    var bar = document.getElementById("bulk-bar");
    if (bar) bar.classList.toggle("has-selection", n > 0);
    // The page gives the words for one and for several (the language's plural forms).
    var words = n === 1 ? count && count.dataset.one : count && count.dataset.other;
    if (count) count.textContent = n ? (words || "{n}").replace("{n}", n) : "";
    var all = document.getElementById("select-all");
    if (all) { var boxes = $all("#conversation-list .row-select"); all.checked = boxes.length > 0 && n === boxes.length; }
  }
  function ensureSelection() {
    if (selectedBoxes().length) return true;
    var row = currentRow() || rows()[0];
    var box = row && $(".row-select", row);
    if (!box) return false;
    box.checked = true;
    updateSelection();
    return true;
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.id === "select-all") {
      $all("#conversation-list .row-select").forEach(function (b) { b.checked = evt.target.checked; });
    }
    if (evt.target.id === "select-all" || evt.target.classList.contains("row-select")) updateSelection();
  });

  // After a bulk action the list is re-rendered: keep the person's place in it.
  var placeBeforeSwap = -1;
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail.elt && evt.detail.elt.id === "bulk-form") placeBeforeSwap = rows().indexOf(currentRow());
  });

  // A poll still on its way when the part of the page that asked is replaced (a
  // boosted navigation, Done landing on the next thread) answers into a page without
  // its targets. The poller and its target are then detached, and htmx announces the
  // swap on the target (the thread's heartbeat targets #presence, a sibling), whose
  // events reach only its own detached ancestors: each poller's guard listens on the
  // poller and on its target, and drops an answer that arrives after the poller left
  // the page (aborting the request instead would log an error of its own).
  function guardPollers(root) {
    if (!root || !root.querySelectorAll) return;
    var pollers = $all("[hx-trigger*='every']", root);
    if (root.matches && root.matches("[hx-trigger*='every']")) pollers.push(root);
    pollers.forEach(function (el) {
      if (el.dataset.pollGuard) return;
      el.dataset.pollGuard = "1";
      var drop = function (evt) {
        var asker = evt.detail.requestConfig && evt.detail.requestConfig.elt;
        if (asker === el && !el.isConnected) evt.detail.shouldSwap = false;
      };
      el.addEventListener("htmx:beforeSwap", drop);
      var selector = el.getAttribute("hx-target");
      var target = selector && selector.charAt(0) === "#" ? document.getElementById(selector.slice(1)) : null;
      if (target && target !== el) target.addEventListener("htmx:beforeSwap", drop);
    });
  }
  document.addEventListener("htmx:load", function (evt) { guardPollers(evt.detail.elt); });
  guardPollers(document);

  // Live rows replace their older copies instead of duplicating them.
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || target.id !== "conversation-list" || !evt.detail.fragment) return;
    $all("li.row[id]", evt.detail.fragment).forEach(function (li) {
      var old = document.getElementById(li.id);
      if (old) {
        if (old.classList.contains("is-current")) li.classList.add("is-current");
        var box = $(".row-select", old);
        var fresh = $(".row-select", li);
        if (box && fresh) fresh.checked = box.checked;
        old.remove();
      }
    });
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    bindComposer(evt.target);
    var target = evt.detail.target;
    if (target && target.id === "inbox-results" && placeBeforeSwap >= 0) {
      var list = rows();
      if (list.length) focusRow(list[Math.min(placeBeforeSwap, list.length - 1)]);
      placeBeforeSwap = -1;
    }
    if (target && target.id === "thread-side" && lastMenuKey) {
      var summary = $('details.menu[data-key="' + lastMenuKey + '"] summary');
      if (summary) summary.focus();
      lastMenuKey = null;
    }
    updateSelection();
  });
  // A boosted navigation replaced the page: start from its main landmark.
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.boosted && evt.target === document.body) {
      var main = document.getElementById("main");
      if (main && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
      bindComposer(document);
      updateSelection();
    }
  });

  // --- keyboard shortcuts ----------------------------------------------------------------
  var lastMenuKey = null;
  function isTyping(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(el.type);
  }
  function click(selector) {
    var el = $(selector);
    if (!el) return false;
    if (window.htmx) htmx.process(el.form || el);  // idempotent: wires it up if not yet done
    el.click();
    return true;
  }
  function focusField(selector) {
    var el = $(selector);
    if (!el) return false;
    var menu = el.closest("details");
    if (menu) menu.open = true;
    el.focus();
    el.scrollIntoView({ block: "nearest" });
    return true;
  }
  function showKeys() {
    var dialog = document.getElementById("keys-dialog");
    if (dialog && dialog.showModal && !dialog.open) dialog.showModal();
  }
  function menuFor(key) { return $('details.menu[data-key="' + key + '"]'); }

  document.addEventListener("click", function (evt) {
    var opener = evt.target.closest && evt.target.closest("[data-opens]");
    if (opener && document.getElementById(opener.dataset.opens)) {
      evt.preventDefault();
      showKeys();
    }
  });

  document.addEventListener("keydown", function (evt) {
    if (evt.defaultPrevented || evt.altKey || evt.ctrlKey || evt.metaKey) return;
    var el = evt.target;
    if (isTyping(el)) {
      if (evt.key === "Escape") { el.blur(); closeMenus(null); }
      return;
    }
    if (document.querySelector("dialog[open]")) return;
    var thread = document.getElementById("thread-page");
    var list = document.getElementById("conversation-list");
    var key = evt.key;
    var handled = true;
    if (key === "/") {
      handled = focusField("#search");
      if (handled) $("#search").select();
    } else if (key === "?") {
      showKeys();
    } else if (key === "Escape") {
      closeMenus(null);
      handled = false;
    } else if (thread) {
      if (key === "j") handled = click("#next-link");
      else if (key === "k") handled = click("#prev-link");
      else if (key === "u") handled = click("#back-link");
      else if (key === "e") handled = click("#done-button");
      else if (key === "r") handled = focusField("#reply-text");
      else if (key === "n") handled = focusField("#note-text");
      else if (key === "s" || key === "a" || key === "l") {
        var menu = menuFor(key);
        if (menu) { lastMenuKey = key; openMenu(menu); } else handled = false;
      } else handled = false;
    } else if (list) {
      if (key === "j") moveRow(1);
      else if (key === "k") moveRow(-1);
      else if (key === "o" || (key === "Enter" && el.classList && el.classList.contains("row-select"))) {
        var row = currentRow();
        if (row) $(".row-link", row).click(); else handled = false;
      } else if (key === "x") {
        var current = currentRow();
        var box = current && $(".row-select", current);
        if (box) { box.checked = !box.checked; updateSelection(); } else handled = false;
      } else if (key === "e") {
        handled = ensureSelection() && click("#bulk-done");
      } else if (key === "s" || key === "a" || key === "l") {
        var bulkMenu = menuFor(key);
        if (bulkMenu && ensureSelection()) openMenu(bulkMenu); else handled = false;
      } else handled = false;
    } else handled = false;
    if (handled) evt.preventDefault();
  });

  // --- start -----------------------------------------------------------------------------
  function start() {
    bindComposer(document);
    updateSelection();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
