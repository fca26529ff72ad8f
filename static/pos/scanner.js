/* Telling a barcode scanner from a person at the keyboard.
 *
 * A scanner is a keyboard that types a whole code in a few milliseconds and ends it with Enter.
 * Whatever field has focus (a quantity, the points box, the customer's name), a scan must reach
 * the till's scan field, not land in that field as a quantity of 1.255901234123457.
 *
 * Each printable key that follows the one before it within MAX_GAP_MS belongs to the same burst;
 * a slower key starts a new burst. Enter after a burst of at least MIN_LENGTH keys is a scan:
 * the field the burst went into gets back the value it had before the burst, and the code goes
 * to onScan. A person typing (more than 50 ms between keys) never looks like that.
 */
"use strict";

window.posScanner = (() => {
  const MIN_LENGTH = 8;
  const MAX_GAP_MS = 50;

  const isTextField = (node) =>
    node && ((node.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(node.type))
      || node.tagName === "TEXTAREA");

  /**
   * Listen on the whole page. isHome(node): the field a scan may simply be typed into (its own Enter runs
   * the scan). onScan(code): a scan that went anywhere else.
   */
  function listen({ isHome, onScan }) {
    let burst = null; // {chars, last, target, before, slow}

    document.addEventListener(
      "keydown",
      (event) => {
        const now = event.timeStamp;
        const gap = burst ? now - burst.last : Infinity;
        // One hiccup (a busy till, a Bluetooth scanner) may slow one key of a long fast burst: it stays a scan.
        const hiccup = burst && burst.chars.length >= 4 && !burst.slow && gap <= 3 * MAX_GAP_MS;
        const fast = gap <= MAX_GAP_MS || hiccup;
        if (burst && hiccup && gap > MAX_GAP_MS) burst.slow = true;
        if (event.key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey) {
          if (!fast) {
            const target = document.activeElement;
            burst = { chars: [], last: now, target, before: isTextField(target) ? target.value : null };
          }
          burst.chars.push(event.key);
          burst.last = now;
          return;
        }
        // Codes on goods and cards carry no spaces; a phone number typed in a hurry does.
        if (event.key !== "Enter" || !fast || burst.chars.length < MIN_LENGTH || burst.chars.includes(" ")) {
          if (event.key !== "Shift") burst = null; // a scanner may send Shift for letters
          return;
        }
        const { chars, target, before } = burst;
        burst = null;
        const focused = document.activeElement;
        if (focused === target && isHome(target)) return; // typed into the scan field: its own Enter scans
        event.preventDefault();
        event.stopImmediatePropagation();
        if (before !== null && target.value !== before) {
          target.value = before;
          target.dispatchEvent(new Event("input", { bubbles: true }));
        }
        // Focus moved to the scan field during the burst (a field disabled under it, a key that sends focus
        // home): it holds only the tail of the code.
        if (focused !== target && isHome(focused)) focused.value = "";
        onScan(chars.join("").trim());
      },
      true, // capture: before any field's own Enter handler (a refund quantity must not refund)
    );
  }

  return { listen, MIN_LENGTH, MAX_GAP_MS };
})();
