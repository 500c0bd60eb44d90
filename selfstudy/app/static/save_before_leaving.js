// Save what is being typed: after a pause in a text area, and before a click elsewhere
// takes the person away.
//
// Streamlit saves a text box when it loses focus. When the click that takes the
// focus away also starts another page (a sidebar link, "Next: ..."), the save
// and the page change race: the text could be lost, or the next page drawn
// blank. So a click made while a text box has focus is held back: the box is
// left first (which saves it), and the click is replayed once the server has
// run the script that saves it, or after at most ten seconds.
//
// A box in a form is left alone: leaving it sends nothing (a form sends its boxes
// with its own button), so a click held for its save waited the whole ten seconds,
// and Ctrl+Enter after a pause would send the form half-typed.
(() => {
  if (window.__selfstudySaveBeforeLeaving) return;
  window.__selfstudySaveBeforeLeaving = true;
  const TEXT_BOX = '[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea';
  const FORM = '[data-testid="stForm"]';
  const savedOnLeaving = (box) => box.matches && box.matches(TEXT_BOX) && !box.closest(FORM);
  const TAKES_AWAY = 'a, button, [role="radio"], [role="tab"], summary';
  const running = () => document.querySelector('[data-testid="stStatusWidget"]') !== null;
  // The app's root says whether the server is running the script.
  const app = () => document.querySelector('[data-testid="stApp"]');
  const scriptState = () => app()?.getAttribute("data-test-script-state");
  // A box's text as last sent to the server: as it was when the box was entered, or
  // applied with Enter (a text input) or Ctrl/Cmd+Enter (a text area, also after a pause).
  const sent = new WeakMap();
  document.addEventListener(
    "focusin",
    (event) => {
      if (event.target.matches && event.target.matches(TEXT_BOX)) {
        sent.set(event.target, event.target.value);
      }
    },
    true,
  );
  document.addEventListener(
    "keydown",
    (event) => {
      const box = event.target;
      if (!box.matches || !box.matches(TEXT_BOX) || event.key !== "Enter") return;
      if (event.ctrlKey || event.metaKey || box.tagName === "INPUT") sent.set(box, box.value);
    },
    true,
  );
  const unsent = (box) => sent.has(box) && box.value !== sent.get(box);
  let replaying = false;
  const typingIn = () => {
    const box = document.activeElement;
    return box && savedOnLeaving(box) ? box : null;
  };
  const leaving = (event, box) => {
    const target = event.target.closest && event.target.closest(TAKES_AWAY);
    return target && !target.contains(box) ? target : null;
  };

  // Text areas have no save-while-typing of their own: after a pause in typing,
  // press Ctrl+Enter for the person, which saves the box and keeps the focus.
  const AREA = '[data-testid="stTextArea"] textarea';
  const PAUSE_MS = 600;
  const pauses = new WeakMap();
  document.addEventListener(
    "input",
    (event) => {
      const area = event.target;
      if (!area.matches || !area.matches(AREA) || area.closest(FORM) || event.isComposing) return;
      clearTimeout(pauses.get(area));
      pauses.set(
        area,
        setTimeout(() => {
          const keys = { key: "Enter", code: "Enter", keyCode: 13, which: 13, ctrlKey: true };
          area.dispatchEvent(new KeyboardEvent("keydown", { ...keys, bubbles: true }));
        }, PAUSE_MS),
      );
    },
    true,
  );

  // Reloading or closing the page while a box holds text not sent yet would lose it:
  // the browser asks the person first (it shows its own words).
  window.addEventListener("beforeunload", (event) => {
    const box = document.activeElement; // a form's box too: it is sent only by its button
    if (box && box.matches && box.matches(TEXT_BOX) && unsent(box)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // A press would take the focus (and so save the box) before the click arrives:
  // keep the focus until the click, which then leaves the box in order.
  document.addEventListener(
    "mousedown",
    (event) => {
      const box = typingIn();
      if (!replaying && box && leaving(event, box)) event.preventDefault();
    },
    true,
  );

  // The click held back, while it waits. A rating's button clicks itself once the box is
  // left (it saw the press), so the replay would be a second click, and a second click
  // on a chosen rating takes it back: what the page clicks meanwhile is not clicked again.
  let held = null;
  document.addEventListener(
    "click",
    (event) => {
      if (replaying) return;
      const clicked = event.target.closest && event.target.closest(TAKES_AWAY);
      if (held && clicked === held.target) held.clickedMeanwhile = true;
      const box = typingIn();
      const target = box && leaving(event, box);
      if (!target) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const mine = { target, clickedMeanwhile: false };
      held = mine;
      // Text not sent yet: wait until the server has run the script that saves it (seen
      // starting, then finished), however slow it is to start; a busy server once took
      // longer than a fixed wait, and the click then raced the save and won.
      const sending = unsent(box);
      const root = app();
      let ran = false;
      const watch = root
        ? new MutationObserver(() => {
            if (scriptState() === "running") ran = true;
          })
        : null;
      watch?.observe(root, { attributes: true, attributeFilter: ["data-test-script-state"] });
      box.blur();
      const started = Date.now();
      const replay = () => {
        const waited = Date.now() - started;
        if (scriptState() === "running") ran = true;
        const saved = sending ? ran && scriptState() !== "running" : waited >= 150;
        if ((!saved || running()) && waited < 10000) {
          setTimeout(replay, 50);
          return;
        }
        watch?.disconnect();
        if (held === mine) held = null;
        if (mine.clickedMeanwhile) return; // clicked already: a second click would undo it
        if (!target.isConnected) return; // the save's redraw replaced it: nothing to replay
        replaying = true;
        try {
          target.click();
        } finally {
          replaying = false;
        }
      };
      setTimeout(replay, 50);
    },
    true,
  );
})();
