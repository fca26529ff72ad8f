/* The sale in progress and the parked sales, kept in the browser per store and cashier.
 *
 * A reload (F5), a crash of the tab or a restart of the till brings back the basket, its card, coupons,
 * points and the sale's Idempotency-Key (a reload after a lost checkout answer retries with the same key,
 * so the sale is never charged twice). localStorage, not the server: nothing is sold until checkout, and
 * another cashier logging in on this till sees neither the basket nor the parked sales.
 */
"use strict";

window.posBasketStore = (storeCode, cashierKey) => {
  const prefix = `pos:${storeCode}:${cashierKey}:`;
  const MAX_PARKED = 20;

  const read = (name, fallback) => {
    try {
      const raw = localStorage.getItem(prefix + name);
      return raw ? JSON.parse(raw) : fallback;
    } catch {
      return fallback; // storage off, full or unreadable: the till still sells, it only forgets
    }
  };
  const write = (name, value) => {
    try {
      if (value === null) localStorage.removeItem(prefix + name);
      else localStorage.setItem(prefix + name, JSON.stringify(value));
    } catch {
      // as above
    }
  };

  return {
    /** The open sale: {lines, cardNumber, coupons, points, sale} or null. */
    current: () => read("basket", null),
    save: (basket) => write("basket", basket && (basket.lines.length || basket.coupons.length || basket.cardNumber) ? basket : null),
    clear: () => write("basket", null),
    parked: () => read("parked", []),
    /** Park a sale (newest last); false when MAX_PARKED are parked already. */
    park(basket, label) {
      const list = read("parked", []);
      if (list.length >= MAX_PARKED) return false;
      list.push({ ...basket, id: Date.now().toString(36) + Math.random().toString(36).slice(2, 6), label });
      write("parked", list);
      return true;
    },
    /** Take a parked sale out of the list (to sell it). */
    take(id) {
      const list = read("parked", []);
      const found = list.find((p) => p.id === id) || null;
      write("parked", list.filter((p) => p.id !== id));
      return found;
    },
  };
};
