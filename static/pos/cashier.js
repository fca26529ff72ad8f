/* The cashier screen. Talks only to /api/v1/ with the cashier's session + CSRF token.
 *
 * Money never becomes a JS number: amounts are the API's decimal strings, shown as they
 * come. Quantities and points typed by the cashier are checked as strings and compared in
 * integer thousandths / cents.
 */
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("pos-config").textContent);
  const $ = (id) => document.getElementById(id);
  const CURRENCY = config.currency;
  // The page's language: German sentences from pos/locale (pos/till_strings.py), rendered into the page.
  const STRINGS = JSON.parse(document.getElementById("pos-strings").textContent);
  /** t("Card {0} added.", number): the sentence in the page's language, its {0}, {1}… filled in. */
  const t = (text, ...args) => (STRINGS[text] || text).replace(/\{(\d+)\}/g, (m, i) => (i < args.length ? String(args[i]) : m));

  const QTY_RE = /^\d{1,9}(\.\d{1,3})?$/;
  const MONEY_RE = /^\d{1,10}(\.\d{1,2})?$/;
  const REDEEM_CODES = new Set(["redeem_limit_exceeded", "insufficient_points"]);
  const CARD_CODES = new Set(["card_blocked", "card_replaced", "card_not_found", "card_not_active"]);
  // What the till says of a card it cannot use, by its status (in the page's language when it is asked).
  const cardStatusText = (status) => ({
    blocked: t("This card is blocked. Ask the customer for another card."),
    replaced: t("This card was replaced by a new one. Ask for the new card."),
  })[status] || t("This card cannot be used.");

  const state = {
    view: "sale", // sale | receipt | refund
    lines: [], // {sku, name, category, quantity, unit_price}: what the API's quote takes
    card: null, // an active card's body, attached to the sale
    pendingCard: null, // an issued card waiting for the activation form
    replace: null, // {card, phone, chosen, key, bodyJson}: an issued card replacing a lost one
    quote: null,
    coupons: [], // coupon codes the quote accepted for this sale
    pointsError: null,
    categories: {},
    sale: { key: null, bodyJson: null }, // Idempotency-Key of this sale, reused while the body is the same
    refund: { receipt: null, key: null, bodyJson: null },
    busy: false,
    multiplier: null, // "3" after "3*": the quantity of the next product scanned
  };

  // --- small helpers ------------------------------------------------------------------------

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  /** "1.5" -> 1500 (thousandths); exact for the quantities a till sees. */
  const thousandths = (qty) => {
    const [whole, frac = ""] = qty.split(".");
    return Number(whole) * 1000 + Number((frac + "000").slice(0, 3));
  };
  const fromThousandths = (n) => {
    const whole = Math.floor(n / 1000);
    const frac = String(n % 1000).padStart(3, "0").replace(/0+$/, "");
    return frac ? `${whole}.${frac}` : String(whole);
  };
  const cents = (amount) => {
    const [whole, frac = ""] = amount.split(".");
    return Number(whole) * 100 + Number((frac + "00").slice(0, 2));
  };
  const fromCents = (n) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`;
  const normaliseNumber = (text) => text.trim().replace(",", ".");
  const percentShort = (p) => p.replace(/\.?0+$/, "");
  const withCurrency = (amount) => `${amount} ${CURRENCY}`;
  const sentence = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);

  const uuid = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; a till on plain http on the LAN still gets 122 random bits.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  // Receipts' dates on the store's clock (its time zone from the server), not on the till's own setting.
  const formatTime = (iso) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    try {
      return d.toLocaleString(undefined, { timeZone: config.timeZone });
    } catch (e) {
      return d.toLocaleString(); // a browser that does not know the zone: its own clock, not nothing
    }
  };

  // --- the API ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || {};
    }
  }

  const csrfToken = () => {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    return document.querySelector('meta[name="csrf-token"]').content;
  };

  /** Field errors of a 400 as one readable sentence ("lines 1 quantity: Ensure ..."). */
  const describeDetails = (details, path = []) => {
    if (Array.isArray(details)) {
      if (details.every((d) => typeof d === "string")) {
        const where = path.filter((p) => p !== "non_field_errors").join(" ");
        return [`${where ? where + ": " : ""}${details.join(" ")}`];
      }
      return details.flatMap((d, i) => (d && Object.keys(d).length ? describeDetails(d, [...path, i + 1]) : []));
    }
    if (details && typeof details === "object") {
      return Object.entries(details).flatMap(([k, v]) => describeDetails(v, [...path, k.replace(/_/g, " ")]));
    }
    return details ? [String(details)] : [];
  };

  async function api(method, path, body, headers = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrfToken();
      init.body = JSON.stringify(body ?? {});
    }
    let response;
    try {
      response = await fetch(config.apiRoot + path, init);
    } catch {
      throw new ApiError(0, "network_error", t("No connection to the server. Check the network and try again."));
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok) return { status: response.status, data };
    if (response.status === 401) {
      throw new ApiError(401, "not_authenticated", t("Your session has ended: reload the page and log in again."));
    }
    const error = data && data.error;
    if (!error) throw new ApiError(response.status, `http_${response.status}`, t("The server answered {0}.", response.status));
    let message = sentence(error.message);
    if (response.status === 400 && error.code !== "invalid_card_number") {
      const extra = describeDetails(error.details);
      if (extra.length) message = `${message} ${extra.join("; ")}`;
    }
    throw new ApiError(response.status, error.code, message, error.details);
  }

  // --- messages and focus -------------------------------------------------------------------

  function showMessage(text, kind = "error") {
    const box = $("message");
    box.textContent = text;
    box.className = `msg msg-${kind}`;
    box.hidden = false;
  }
  const showError = (text) => {
    showMessage(text, "error");
    beep();
  };

  // --- an error is heard too: the cashier looks at the goods, not the screen --------------------------
  // On by default; each cashier turns it off on their till (kept in this browser).

  const SOUND_KEY = `pos:sound:${config.cashierKey}`;
  let audio = null;
  const soundOn = () => {
    try {
      return localStorage.getItem(SOUND_KEY) !== "off";
    } catch {
      return true;
    }
  };
  function beep() {
    if (!soundOn()) return;
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.type = "square";
      tone.frequency.value = 440;
      volume.gain.value = 0.08;
      tone.connect(volume).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.18);
    } catch {
      // no audio device: the message on screen is still there
    }
  }
  function renderSound() {
    $("sound-toggle").setAttribute("aria-pressed", String(soundOn()));
    $("sound-toggle").textContent = soundOn() ? t("Sound on") : t("Sound off");
  }
  $("sound-toggle").addEventListener("click", () => {
    try {
      localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
    } catch {
      // storage off: stays on
    }
    renderSound();
    focusHome();
  });
  renderSound();
  const showInfo = (text) => showMessage(text, "info");
  function clearMessage() {
    const box = $("message");
    box.hidden = true;
    box.textContent = "";
  }

  function focusHome() {
    if (state.view === "sale") $("scan").focus();
    else if (state.view === "refund") $("refund-receipt").focus();
    else $("new-sale").focus();
  }

  function setFieldError(id, text) {
    const node = $(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  // --- scanning -----------------------------------------------------------------------------

  // Scans run one after another: a scanner can send the next code before the last lookup answered.
  let scanChain = Promise.resolve();

  // "3*" before a scan (or "3*" Enter, then the scan) sells three: the multiplier waits for the next product.
  const MULTIPLIER_RE = /^(\d{1,6}(?:[.,]\d{1,3})?)\s*[*xX×]\s*(\S*)$/;

  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = $("scan").value.trim();
    $("scan").value = "";
    const times = typed.match(MULTIPLIER_RE);
    if (times) {
      const qty = normaliseNumber(times[1]);
      if (!QTY_RE.test(qty) || thousandths(qty) === 0) return showError(t("Quantity {0}: a number above 0.", times[1]));
      setMultiplier(qty);
      if (times[2]) queueScan(times[2]);
      return;
    }
    if (typed) queueScan(typed);
  });

  function setMultiplier(qty) {
    state.multiplier = qty;
    $("multiplier").textContent = qty ? `× ${qty}` : "";
    $("multiplier").hidden = !qty;
  }

  function queueScan(code) {
    scanChain = scanChain
      .then(() => handleScan(code))
      .catch((error) => showError(error.message))
      .finally(() => {
        if (document.activeElement === document.body) focusHome();
      });
  }

  // A scanner's code reaches the till whatever field has focus (static/pos/scanner.js).
  window.posScanner.listen({
    // A field that asks for a scanned code itself (data-scan-home: the gift card paying) keeps its scan.
    isHome: (node) => node === $("scan") || node === $("refund-receipt") || Boolean(node && node.dataset && "scanHome" in node.dataset),
    onScan: (code) => {
      if (dialogOpen()) return; // answer the question first
      if (state.view === "receipt") newSale();
      if (state.view === "refund") {
        $("refund-receipt").value = code;
        $("refund-find").requestSubmit();
        return;
      }
      queueScan(code);
      $("scan").focus();
    },
  });

  async function handleScan(code) {
    clearMessage();
    if (/^29\d{11}$/.test(code) && window.posGiftCards) return window.posGiftCards.scanned(code); // gift card range
    if (/^2\d{12}$/.test(code)) {
      try {
        const { data } = await api("GET", `cards/${code}/`);
        await cardScanned(data);
        return;
      } catch (error) {
        if (error.code === "invalid_card_number") return showError(t("Wrong check digit – scan again ({0}).", code));
        if (error.status !== 404) return showError(error.message);
        // Not a card: in-store numbers starting with 2 are also used for weighed goods.
      }
    }
    try {
      const { data } = await api("GET", `products/${encodeURIComponent(code)}/`);
      const qty = state.multiplier || "1";
      setMultiplier(null);
      addProduct(data, qty);
    } catch (error) {
      if (error.status !== 404) return showError(error.message);
      // Not a product: perhaps a coupon. The quote decides, and says why one cannot apply.
      if (/^\d{8}$|^\d{12,14}$/.test(code) && !gtinCheckDigitOk(code)) {
        return showError(t("Wrong check digit – scan again ({0}).", code));
      }
      if (state.lines.length && !state.coupons.includes(code)) return couponScanned(code);
      // A printed coupon (letters in it) handed over first: its minimum and lines need the goods scanned.
      if (!state.lines.length && /[A-Z]/i.test(code)) return showError(t("The sale is empty: scan a product first."));
      showError(t("Unknown barcode {0}. Scan again or type the line (F4).", code));
    }
  }

  /** EAN-8, UPC-A, EAN-13, GTIN-14: weights 3, 1, 3… from the right, the last digit makes the sum a multiple of 10. */
  function gtinCheckDigitOk(code) {
    const digits = [...code].map(Number);
    const check = digits.pop();
    const sum = digits.reverse().reduce((total, d, i) => total + d * (i % 2 === 0 ? 3 : 1), 0);
    return (10 - (sum % 10)) % 10 === check;
  }

  /** A coupon joins the sale when the quote accepts it; otherwise the quote's reason is shown. */
  async function couponScanned(code) {
    try {
      await api("POST", "checkout/quote/", { ...saleBody(), coupons: [...state.coupons, code] });
    } catch (error) {
      if (error.code === "coupon_invalid") return showError(t("Coupon {0}: {1}", code, error.message));
      return showError(error.status === 404 ? t("Unknown barcode {0}.", code) : error.message);
    }
    state.coupons.push(code);
    showInfo(t("Coupon {0} added.", code));
    renderCoupons();
    scheduleQuote();
  }

  /** Take a coupon off the sale by its code as the server names it (dashes and case aside): the code as
   * it was scanned, or null when the sale had no such coupon. */
  function dropCoupon(code) {
    const plain = (c) => String(c || "").replace(/[\s-]/g, "").toUpperCase();
    const dropped = state.coupons.find((c) => plain(c) === plain(code));
    if (dropped === undefined) return null;
    state.coupons = state.coupons.filter((c) => c !== dropped);
    return dropped;
  }

  function renderCoupons() {
    const given = new Map(((state.quote && state.quote.coupons) || []).map((c) => [c.code, c.discount]));
    $("coupons").replaceChildren(
      ...state.coupons.map((code) =>
        el(
          "li",
          {},
          el("span", { text: t("Coupon {0}", code) }),
          el("span", { class: "num good", text: given.has(code.replace(/[\s-]/g, "").toUpperCase()) ? `−${given.get(code.replace(/[\s-]/g, "").toUpperCase())}` : "…" }),
          el("button", {
            type: "button", class: "btn btn-small", text: "✕", "aria-label": t("Remove coupon {0}", code),
            onclick: () => { state.coupons = state.coupons.filter((c) => c !== code); renderCoupons(); scheduleQuote(); },
          }),
        ),
      ),
    );
    $("coupons").hidden = state.coupons.length === 0;
  }

  /** What gave a line its discount, in the shop's words: "Card 5.00 % · Summer week −0.29". */
  function discountSources(q) {
    if (!q || !q.discounts || !q.discounts.length) return "";
    return q.discounts
      .map((d) => (d.source === "card" ? t("Card {0} %", d.percent) : `${d.source === "coupon" ? t("Coupon: {0}", d.name) : d.name} −${d.amount}`))
      .join(" · ");
  }

  async function cardScanned(card) {
    if (card.status === "active" && state.card && state.card.number === card.number) {
      return showInfo(t("The card of {0} is already on this sale.", card.customer.display_name));
    }
    if (card.status === "active" && state.card) {
      // A second card never silently replaces the first: two customers' cards in one queue happen.
      const now = state.card;
      const yes = await confirmDialog({
        title: t("Another card on this sale?"),
        lines: [
          t("On the sale: card {0} of {1}", now.number, now.customer ? now.customer.display_name : "—"),
          t("Scanned: card {0} of {1}", card.number, card.customer.display_name),
        ],
        ok: t("Use the new card"),
      });
      if (!yes) return showInfo(t("The sale keeps the card of {0}.", now.customer ? now.customer.display_name : now.number));
      $("points").value = "0.00"; // points were the other customer's
      state.pointsError = null;
      return attachCard(card, t("Card of {0} now on this sale (instead of {1}).", card.customer.display_name, now.number));
    }
    if (card.status === "active") return attachCard(card, t("Card of {0} added.", card.customer.display_name));
    if (card.status === "issued") return openActivation(card);
    showError(await unusableCardMessage(card));
    $("scan").focus();
  }

  /** The API's own 409 sentence for a blocked/replaced card (a quote needs a line to ask it). */
  async function unusableCardMessage(card) {
    if (state.lines.length && !linesInvalid()) {
      try {
        await api("POST", "checkout/quote/", { ...saleBody(), card_number: card.number, redeem_points: "0.00" });
      } catch (error) {
        if (CARD_CODES.has(error.code)) return t("{0} (card {1})", error.message, card.number);
      }
    }
    return t("{0} (card {1})", cardStatusText(card.status), card.number);
  }

  function attachCard(card, note) {
    state.card = card;
    state.pendingCard = null;
    closeActivation();
    closeReplacement();
    renderCard();
    if (note) showInfo(note);
    scheduleQuote();
    checkWebSignin(card.number);
    $("scan").focus();
  }

  // --- the customer page's PIN lockout (a screen endpoint, not the REST API) -----------------

  async function webSignin(number, method) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method === "POST") init.headers["X-CSRFToken"] = csrfToken();
    const response = await fetch(config.webSigninUrl.replace("NUMBER", encodeURIComponent(number)), init);
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.error && data.error.message) || t("The server answered {0}.", response.status));
    return data;
  }

  /** Show the unlock offer when the customer is locked out of their web page; a sale never waits for it. */
  async function checkWebSignin(number) {
    $("card-web-signin").hidden = true;
    try {
      const { locked } = await webSignin(number, "GET");
      if (state.card && state.card.number === number) $("card-web-signin").hidden = !locked;
    } catch {
      // Not knowing the lock changes nothing at the till.
    }
  }

  $("card-web-unlock").addEventListener("click", async () => {
    const number = state.card && state.card.number;
    if (!number) return;
    try {
      const { locked } = await webSignin(number, "POST");
      $("card-web-signin").hidden = !locked;
      showInfo(t("Web sign-in of card {0} is unlocked: the customer can sign in with their PIN again.", number));
    } catch (error) {
      showError(error.message);
    }
    $("scan").focus();
  });

  // --- the PIN slip again, for the card's holder (a screen endpoint: recorded, cashiers only) ------------

  async function printPinSlip() {
    const card = state.card;
    if (!card || state.busy) return;
    const holder = card.customer ? card.customer.display_name : "";
    const yes = await confirmDialog({
      title: t("Print the PIN slip of card {0} again?", card.number),
      lines: [
        t("Only for {0}, in front of you with this card: the PIN opens their points and purchases.", holder),
        t("The print is recorded with your name (Admin → PIN slips printed again)."),
      ],
      ok: t("Print PIN slip"),
    });
    if (!yes) return;
    try {
      const response = await fetch(config.pinSlipUrl.replace("NUMBER", encodeURIComponent(card.number)), {
        method: "POST", credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      const data = await response.json().catch(() => null);
      if (!response.ok) throw new Error((data && data.error && data.error.message) || t("The server answered {0}.", response.status));
      $("pin-slip-number").textContent = data.number;
      $("pin-slip-holder").textContent = data.holder;
      $("pin-slip-pin").textContent = data.pin;
      $("pin-slip-date").textContent = formatTime(data.printed_at);
      document.body.classList.add("printing-pin");
      window.print();
      showInfo(t("PIN slip of card {0} printed for {1}", data.number, data.holder)); // no full stop: "Anna K."
    } catch (error) {
      showError(error.message);
    } finally {
      // The PIN leaves the page with the paper.
      document.body.classList.remove("printing-pin");
      $("pin-slip-pin").textContent = "";
    }
  }
  $("card-pin-slip").addEventListener("click", printPinSlip);

  function detachCard() {
    state.card = null;
    $("points").value = "0.00";
    state.pointsError = null;
    renderCard();
    scheduleQuote();
  }

  // --- first use: activation ----------------------------------------------------------------

  function openActivation(card) {
    state.pendingCard = card;
    $("activate-number").textContent = card.number;
    $("activate-form").reset();
    setFieldError("activate-error", "");
    $("activate-form").hidden = false;
    showInfo(t("Card {0} is new: fill in the customer's name and phone, then Enter.", card.number));
    $("act-name").focus();
  }

  function closeActivation() {
    state.pendingCard = null;
    $("activate-form").hidden = true;
  }

  $("activate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const card = state.pendingCard;
    if (!card || state.busy) return;
    const body = {
      name: $("act-name").value.trim(),
      phone: $("act-phone").value.trim(),
      email: $("act-email").value.trim(),
      birthday: $("act-birthday").value || null,
      marketing_consent: $("act-consent").checked,
    };
    if (!body.name || !body.phone) {
      setFieldError("activate-error", t("Name and phone are required."));
      (body.name ? $("act-phone") : $("act-name")).focus();
      return;
    }
    state.busy = true;
    try {
      const { data } = await api("POST", `cards/${card.number}/activate/`, body);
      attachCard(data, t("Card registered for {0}.", data.customer.display_name));
    } catch (error) {
      if (error.code === "card_already_active") {
        const { data } = await api("GET", `cards/${card.number}/`);
        attachCard(data, t("This card was already registered (to {0}); it is added.", data.customer.display_name));
      } else {
        setFieldError("activate-error", error.message);
      }
    } finally {
      state.busy = false;
    }
  });

  // --- a new card replacing a lost or worn one ---------------------------------------------
  // The customer is found by phone; the names on file are shortened and the birthday is never shown:
  // the cashier types the birthday the customer tells, and only a match lists that customer's cards.

  const REASONS = { lost: "lost", worn: "worn", stolen: "stolen", other: "other" };

  function openReplacement() {
    const card = state.pendingCard;
    if (!card) return;
    state.replace = { card, phone: null, chosen: null, key: null, bodyJson: null };
    $("activate-form").hidden = true;
    $("replace-number").textContent = card.number;
    $("replace-form").reset();
    $("rep-found").hidden = true;
    $("rep-cards").hidden = true;
    $("rep-card-list").replaceChildren();
    $("rep-confirm").disabled = true;
    setFieldError("replace-error", "");
    $("replace-form").hidden = false;
    showInfo(t("Card {0} replaces a lost card: find the customer by phone.", card.number));
    $("rep-phone").focus();
  }

  function closeReplacement() {
    state.replace = null;
    state.pendingCard = null;
    $("replace-form").hidden = true;
  }

  async function findByPhone() {
    const phone = $("rep-phone").value.trim();
    if (!phone) {
      setFieldError("replace-error", t("Type the customer's phone."));
      return $("rep-phone").focus();
    }
    setFieldError("replace-error", "");
    $("rep-cards").hidden = true;
    $("rep-confirm").disabled = true;
    try {
      const { data } = await api("POST", "customers/search/", { phone });
      state.replace.phone = phone;
      if (!data.customers.length) {
        $("rep-found").hidden = true;
        setFieldError("replace-error", t("No card holder has this phone. Check the number with the customer."));
        return $("rep-phone").focus();
      }
      const names = data.customers.map((c) => c.display_name).join(", ");
      $("rep-names").textContent =
        t("On file: {0} – ask the customer for their name and birthday; go on only if the name fits.", names);
      $("rep-found").hidden = false;
      $("rep-birthday").focus();
    } catch (error) {
      setFieldError("replace-error", error.message);
    }
  }

  async function checkBirthday() {
    const r = state.replace;
    const birthday = $("rep-birthday").value;
    if (!r.phone || !birthday) {
      setFieldError("replace-error", t("Type the birthday the customer tells."));
      return $("rep-birthday").focus();
    }
    setFieldError("replace-error", "");
    try {
      const { data } = await api("POST", "customers/search/", { phone: r.phone, birthday });
      const cards = data.customers.filter((c) => c.birthday_matches).flatMap((c) =>
        c.cards.map((card) => ({ ...card, display_name: c.display_name })),
      );
      const list = $("rep-card-list");
      list.replaceChildren();
      r.chosen = null;
      $("rep-confirm").disabled = true;
      if (!cards.length) {
        $("rep-cards").hidden = true;
        setFieldError("replace-error",
          t("The birthday does not match. Without a match the card cannot be moved here: a manager can do it in the admin."));
        return $("rep-birthday").focus();
      }
      cards.forEach((card, i) => {
        const radio = el("input", { type: "radio", name: "rep-card", value: card.number, id: `rep-card-${i}` });
        radio.addEventListener("change", () => {
          r.chosen = card.number;
          $("rep-confirm").disabled = false;
        });
        const level = card.level || t("No level yet");
        list.append(el("label", { class: "check", for: `rep-card-${i}` }, radio,
          `${card.display_name} · card ${card.number} (${card.status}) · ${level} · ${card.points_balance} points`));
      });
      $("rep-cards").hidden = false;
      const first = list.querySelector("input");
      first.checked = true;
      first.dispatchEvent(new Event("change"));
      $("rep-confirm").focus();
    } catch (error) {
      setFieldError("replace-error", error.message);
    }
  }

  async function confirmReplacement() {
    const r = state.replace;
    if (!r || !r.chosen || state.busy) return;
    const body = { new_card_number: r.card.number, reason: REASONS[$("rep-reason").value] || "other" };
    const path = `cards/${r.chosen}/replace/`;
    // One key per replacement: a retry after a lost answer replays it instead of failing on the moved card.
    const bodyJson = JSON.stringify([path, body]);
    if (r.bodyJson !== bodyJson) Object.assign(r, { key: uuid(), bodyJson });
    state.busy = true;
    try {
      const { data } = await api("POST", path, body, { "Idempotency-Key": r.key });
      const old = r.chosen;
      closeReplacement();
      attachCard(data, t("Card {0} replaces card {1}: level, spend and points moved. The old card no longer works.", data.number, old));
    } catch (error) {
      setFieldError("replace-error", error.message);
    } finally {
      state.busy = false;
    }
  }

  $("act-replaces").addEventListener("click", openReplacement);
  $("rep-find").addEventListener("click", findByPhone);
  $("rep-check").addEventListener("click", checkBirthday);
  // Enter in a field runs its own step (the form's submit button stays disabled until a card is chosen,
  // and a disabled default button would swallow the Enter).
  for (const [field, step] of [["rep-phone", findByPhone], ["rep-birthday", checkBirthday]]) {
    $(field).addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      step();
    });
  }
  $("replace-form").addEventListener("submit", (event) => {
    event.preventDefault();
    confirmReplacement();
  });

  // --- lines --------------------------------------------------------------------------------

  function addProduct(product, qty = "1") {
    const same = state.lines.find((ln) => ln.sku === product.sku && ln.unit_price === product.price);
    if (same && QTY_RE.test(same.quantity)) {
      same.quantity = fromThousandths(thousandths(same.quantity) + thousandths(qty));
    } else {
      state.lines.push({
        sku: product.sku,
        name: product.name,
        category: product.category,
        quantity: qty,
        unit_price: product.price,
      });
    }
    changed();
    flashLine(state.lines.findIndex((ln) => ln.sku === product.sku && ln.unit_price === product.price));
  }

  function addManualLine(line) {
    const same = state.lines.find(
      (ln) => ln.sku === line.sku && ln.unit_price === line.unit_price && ln.category === line.category,
    );
    if (same) same.quantity = fromThousandths(thousandths(same.quantity) + thousandths(line.quantity));
    else state.lines.push(line);
    changed();
  }

  const linesInvalid = () => state.lines.some((ln) => !QTY_RE.test(ln.quantity) || thousandths(ln.quantity) === 0);

  function changed() {
    renderLines();
    scheduleQuote();
  }

  function flashLine(index) {
    const row = $("lines-body").children[index];
    if (!row) return;
    row.classList.remove("flash");
    void row.offsetWidth; // restart the animation
    row.classList.add("flash");
    row.scrollIntoView({ block: "nearest" });
  }

  function categoryLabel(code) {
    const category = state.categories[code];
    if (!category) return code;
    if (category.discount_policy === "excluded") return t("{0} · no card discount", category.name);
    if (category.discount_policy === "capped") {
      return t("{0} · max {1} %", category.name, percentShort(category.max_discount_percent || "0"));
    }
    return category.name;
  }

  function renderLines() {
    const body = $("lines-body");
    body.replaceChildren();
    const quoted = state.quote ? state.quote.lines : [];
    state.lines.forEach((line, i) => {
      const q = quoted[i] && quoted[i].sku === line.sku ? quoted[i] : null;
      const qty = el("input", {
        class: "qty",
        inputmode: "decimal",
        "aria-label": t("Quantity of {0}", line.name || line.sku),
        "data-index": i,
      });
      qty.value = line.quantity;
      qty.addEventListener("input", () => {
        const value = normaliseNumber(qty.value);
        line.quantity = value;
        const ok = QTY_RE.test(value) && thousandths(value) > 0;
        qty.classList.toggle("invalid", !ok);
        qty.title = ok ? "" : "A quantity above 0, at most 3 decimals. Use Remove to delete the line.";
        scheduleQuote();
      });
      qty.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          $("scan").focus();
        } else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
          event.preventDefault();
          focusLine(i + (event.key === "ArrowUp" ? -1 : 1));
        }
      });
      const remove = el("button", {
        type: "button",
        class: "btn btn-small btn-remove",
        "aria-label": `Remove ${line.name || line.sku}`,
        title: t("Remove line"),
        text: "✕",
        onclick: () => {
          state.lines.splice(i, 1);
          changed();
          $("scan").focus();
        },
      });
      const discounted = q && q.discount_amount !== "0.00";
      body.append(
        el(
          "tr",
          {},
          el(
            "td",
            { class: "col-item" },
            el("span", { class: "item-name", text: line.name || line.sku }),
            el("span", { class: "item-meta", text: `${line.sku} · ${categoryLabel(line.category)}` }),
            el("span", { class: "item-meta item-promo", text: discountSources(q) }),
          ),
          el("td", { class: "num col-qty" }, qty),
          el("td", { class: "num", text: line.unit_price }),
          el("td", { class: `num${discounted ? " good" : ""}`, text: q ? `${q.discount_percent} %` : "…" }),
          el("td", { class: `num${discounted ? " good" : ""}`, text: q ? (discounted ? `−${q.discount_amount}` : "0.00") : "…" }),
          el("td", { class: "num strong", text: q ? q.total : "…" }),
          el("td", { class: "num" }, remove),
        ),
      );
    });
    $("empty-basket").hidden = state.lines.length > 0;
  }

  /** The quantity box of line `index` (from the scan field: ↑ or F3 goes to the last line); past the end, the scan field. */
  function focusLine(index) {
    const inputs = $("lines-body").querySelectorAll("input.qty");
    if (index < 0 || index >= inputs.length) return $("scan").focus();
    inputs[index].focus();
    inputs[index].select();
  }
  const focusLastLine = () => state.lines.length && focusLine(state.lines.length - 1);

  $("scan").addEventListener("keydown", (event) => {
    if (event.key === "ArrowUp" && state.lines.length) {
      event.preventDefault();
      focusLastLine();
    }
  });

  /** Quote figures in the table without rebuilding the inputs (the cashier may be typing in one). */
  function fillQuotedFigures() {
    const rows = $("lines-body").children;
    const quoted = state.quote ? state.quote.lines : [];
    state.lines.forEach((line, i) => {
      const row = rows[i];
      if (!row) return;
      const q = quoted[i] && quoted[i].sku === line.sku ? quoted[i] : null;
      const cells = row.children;
      const discounted = q && q.discount_amount !== "0.00";
      cells[3].textContent = q ? `${q.discount_percent} %` : "…";
      cells[4].textContent = q ? (discounted ? `−${q.discount_amount}` : "0.00") : "…";
      cells[5].textContent = q ? q.total : "…";
      const promo = row.querySelector(".item-promo");
      if (promo) promo.textContent = discountSources(q);
      cells[3].classList.toggle("good", Boolean(discounted));
      cells[4].classList.toggle("good", Boolean(discounted));
    });
  }

  // --- the type-a-line form ------------------------------------------------------------------

  // The category a typed line starts with: the last one typed on this till, else POS_MANUAL_LINE_CATEGORY,
  // else the first category with the plain card discount.
  let lastManualCategory = null;
  function manualCategory() {
    for (const code of [lastManualCategory, config.manualCategory]) if (code && state.categories[code]) return code;
    const plain = Object.values(state.categories).find((c) => c.discount_policy === "normal");
    return plain ? plain.code : "";
  }

  function openManual() {
    if (state.view !== "sale") return;
    $("manual-form").hidden = false;
    setFieldError("manual-error", "");
    $("man-category").value = manualCategory();
    $("man-name").focus();
  }
  function closeManual() {
    $("manual-form").hidden = true;
    $("manual-form").reset();
  }
  $("manual-open").addEventListener("click", openManual);

  $("manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const line = {
      sku: $("man-sku").value.trim(),
      name: $("man-name").value.trim(),
      category: $("man-category").value,
      quantity: normaliseNumber($("man-qty").value),
      unit_price: normaliseNumber($("man-price").value),
    };
    // No SKU for goods without a barcode: the name is what the receipt shows.
    if (!line.sku) line.sku = "MANUAL";
    let problem = "";
    if (!line.name && line.sku === "MANUAL") problem = t("Type what it is (the name on the receipt).");
    else if (!line.category) problem = t("Choose a category.");
    else if (!QTY_RE.test(line.quantity) || thousandths(line.quantity) === 0) {
      problem = t("Quantity: a number above 0 with at most 3 decimals.");
    } else if (!MONEY_RE.test(line.unit_price)) problem = t("Unit price: an amount like 2.49.");
    if (problem) return setFieldError("manual-error", problem);
    line.unit_price = fromCents(cents(line.unit_price));
    lastManualCategory = line.category;
    addManualLine(line);
    closeManual();
    $("scan").focus();
  });

  async function loadCategories() {
    try {
      const { data } = await api("GET", "categories/");
      const select = $("man-category");
      select.replaceChildren(el("option", { value: "", text: t("— choose —") }));
      for (const category of data) {
        state.categories[category.code] = category;
        select.append(el("option", { value: category.code, text: categoryLabel(category.code) }));
      }
      select.value = manualCategory(); // F4 may have been pressed before the categories came

      renderLines();
    } catch (error) {
      showError(t("Could not load the categories: {0}", error.message));
    }
  }

  // --- the quote ------------------------------------------------------------------------------

  let quoteTimer = null;
  let quoteSeq = 0;
  let quoteRunning = null;

  const redeemValue = () => {
    const value = normaliseNumber($("points").value);
    return state.card && MONEY_RE.test(value) ? fromCents(cents(value)) : "0.00";
  };

  function saleBody() {
    return {
      card_number: state.card ? state.card.number : null,
      lines: state.lines.map((ln) => ({ ...ln })),
      redeem_points: redeemValue(),
      ...(state.coupons.length ? { coupons: [...state.coupons] } : {}),
      ...(window.posGiftCards ? window.posGiftCards.saleBody() : {}),
    };
  }

  function scheduleQuote() {
    keepBasket();
    clearTimeout(quoteTimer);
    $("totals").classList.add("stale");
    quoteTimer = setTimeout(() => {
      quoteTimer = null;
      quoteRunning = runQuote();
    }, 250);
  }

  /** Run any debounced quote now and wait for it: Complete never acts on figures not shown. */
  async function flushQuote() {
    if (quoteTimer) {
      clearTimeout(quoteTimer);
      quoteTimer = null;
      quoteRunning = runQuote();
    }
    if (quoteRunning) await quoteRunning;
  }

  async function runQuote() {
    const seq = ++quoteSeq;
    if (!state.lines.length || linesInvalid()) {
      state.quote = null;
      renderQuote();
      return;
    }
    const body = saleBody();
    let dropped = null;
    try {
      const { data } = await api("POST", "checkout/quote/", body);
      if (seq !== quoteSeq) return;
      state.quote = data;
      // A points entry that is not an amount keeps its message (the quote went out with 0 points).
      if (MONEY_RE.test(normaliseNumber($("points").value) || "0")) state.pointsError = null;
      if (data.card) state.card = data.card;
    } catch (error) {
      if (seq !== quoteSeq) return;
      if (REDEEM_CODES.has(error.code)) {
        // Show the basket and the real maximum without the points, and the reason inline.
        state.pointsError = error.message;
        try {
          const { data } = await api("POST", "checkout/quote/", { ...body, redeem_points: "0.00" });
          if (seq !== quoteSeq) return;
          state.quote = data;
        } catch (again) {
          state.quote = null;
          showError(again.message);
        }
      } else if (CARD_CODES.has(error.code)) {
        showError(t("{0} The card was taken off this sale.", error.message));
        detachCard();
        return;
      } else if (error.code === "coupon_invalid" && (dropped = dropCoupon(error.details && error.details.coupon))) {
        // A coupon the basket no longer meets (a line removed below its minimum, its campaign ended…)
        // leaves the sale with its reason shown, and the rest is quoted without it: never a stuck sale.
        showError(t("Coupon {0}: {1}", dropped, error.message));
        renderCoupons();
        scheduleQuote();
        return;
      } else {
        state.quote = null;
        showError(error.message);
      }
    }
    renderCard();
    renderQuote();
  }

  function renderQuote() {
    const q = state.quote;
    $("totals").classList.toggle("stale", false);
    $("t-subtotal").textContent = q ? q.subtotal : "0.00";
    $("t-discount").textContent = q && q.discount_total !== "0.00" ? `−${q.discount_total}` : "0.00";
    $("t-points").textContent =
      q && q.points_redeemed !== "0.00" ? `−${q.points_redeemed_amount} (${q.points_redeemed} pts)` : "0.00";
    $("t-total").textContent = q ? q.total_due : "0.00";
    $("t-earn").textContent = q ? q.points_earned : "0.00";
    fillQuotedFigures();
    renderCoupons();
    renderPoints();
    if (window.posGiftCards) window.posGiftCards.quoted(q);
    $("complete").disabled = !state.lines.length || linesInvalid();
  }

  // --- points -------------------------------------------------------------------------------

  const maxRedeemable = () => (state.card && state.quote ? state.quote.max_redeemable_points : "0.00");

  function renderPoints() {
    const input = $("points");
    const enabled = Boolean(state.card) && state.lines.length > 0;
    input.disabled = !enabled;
    $("points-use-max").disabled = !enabled;
    $("points-max").textContent = maxRedeemable();
    input.classList.toggle("invalid", Boolean(state.pointsError));
    setFieldError("points-error", state.pointsError ? `${sentence(state.pointsError)}.` : "");
  }

  $("points").addEventListener("input", () => {
    const input = $("points");
    let value = normaliseNumber(input.value);
    if (value === "") value = "0";
    if (/^\d+\.\d{3,}$/.test(value)) value = value.replace(/(\.\d{2})\d+$/, "$1");
    if (MONEY_RE.test(value) || /^\d+\.$/.test(value)) {
      const max = maxRedeemable();
      if (cents(value.replace(/\.$/, "")) > cents(max)) value = max; // clamp to what may pay this receipt
      if (value !== normaliseNumber(input.value)) input.value = value;
      state.pointsError = null;
    } else {
      state.pointsError = "points: an amount like 12.50";
    }
    renderPoints();
    if (!state.pointsError) scheduleQuote();
  });
  $("points").addEventListener("blur", () => {
    const value = normaliseNumber($("points").value);
    if (MONEY_RE.test(value)) $("points").value = fromCents(cents(value));
  });
  $("points").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      $("scan").focus();
    }
  });
  $("points-form").addEventListener("submit", (event) => event.preventDefault());
  $("points-use-max").addEventListener("click", () => {
    $("points").value = maxRedeemable();
    state.pointsError = null;
    scheduleQuote();
    $("scan").focus();
  });

  // --- the card panel -----------------------------------------------------------------------

  function renderCard() {
    const card = state.card;
    $("card-empty").hidden = Boolean(card);
    $("card-info").hidden = !card;
    if (!card) return;
    $("card-name").textContent = card.customer ? card.customer.display_name : "—";
    // A staff card: level, discount and points are its company's, shared by all its staff cards.
    $("card-company").hidden = !card.company;
    $("card-company").textContent = card.company ? t("Company account: {0}", card.company.name) : "";
    $("card-level").textContent = card.level || t("No level yet");
    $("card-level").classList.toggle("badge-none", !card.level);
    $("card-discount").textContent = `${card.discount_percent} %`;
    $("card-points").textContent = card.points_balance;
    $("card-number").textContent = card.number;
    const next = card.next_level;
    const bar = $("card-progress-bar");
    if (next) {
      // Floats only for the bar's width: the figures shown are the API's strings.
      const spent = Number(card.spend_total);
      const needed = Number(next.spend_needed);
      bar.style.width = `${Math.max(2, Math.min(100, (100 * spent) / (spent + needed || 1)))}%`;
      $("card-progress").textContent =
        t("Spend {0} more for {1} % ({2})", withCurrency(next.spend_needed), percentShort(next.discount_percent), next.name);
    } else {
      bar.style.width = "100%";
      $("card-progress").textContent = t("Top level reached");
    }
  }

  $("card-remove").addEventListener("click", () => {
    detachCard();
    showInfo(t("Card removed from this sale."));
    $("scan").focus();
  });

  // --- complete and the receipt ------------------------------------------------------------

  async function complete() {
    if (state.view !== "sale" || state.busy) return;
    clearMessage();
    if (!state.lines.length) return showError(t("The sale is empty: scan a product first."));
    if (state.pendingCard) return showError(t("Register the new card first, or press Esc to sell without it."));
    if (linesInvalid()) return showError(t("A quantity is not valid: fix it or remove the line."));
    state.busy = true;
    $("complete").disabled = true;
    $("complete").classList.add("working");
    try {
      await flushQuote();
      if (state.pointsError) {
        showError(t("Points: {0}.", sentence(state.pointsError)));
        $("points").focus();
        return;
      }
      const body = saleBody();
      const bodyJson = JSON.stringify(body);
      // Same sale, same key: a retry after a lost answer cannot charge twice.
      if (state.sale.bodyJson !== bodyJson) state.sale = { key: uuid(), bodyJson };
      const { data } = await api("POST", "checkout/", body, { "Idempotency-Key": state.sale.key });
      showReceipt(data);
    } catch (error) {
      const retry = error.status === 0 || error.status >= 500;
      showError(retry ? `${error.message} ${t("Press F9 to try again: the sale will not be charged twice.")}` : error.message);
      if (REDEEM_CODES.has(error.code)) {
        state.pointsError = error.message;
        renderPoints();
      }
      if (CARD_CODES.has(error.code)) detachCard();
      const dropped = error.code === "coupon_invalid" ? dropCoupon(error.details && error.details.coupon) : null;
      if (dropped) {
        // Used at another till meanwhile, say: off the sale, the rest re-quoted; the cashier completes again.
        showError(t("Coupon {0}: {1}", dropped, error.message));
        renderCoupons();
        scheduleQuote();
      }
    } finally {
      state.busy = false;
      $("complete").classList.remove("working");
      $("complete").disabled = !state.lines.length || linesInvalid();
      if (state.view === "sale" && !state.pointsError) $("scan").focus();
    }
  }

  function receiptRow(label, value, cls = "") {
    return [el("dt", { class: cls, text: label }), el("dd", { class: cls, text: value })];
  }

  function showReceipt(r) {
    $("receipt-number").textContent = r.receipt_id;
    $("receipt-date").textContent = formatTime(r.created_at);
    const lines = $("receipt-lines");
    lines.replaceChildren();
    for (const ln of r.lines) {
      lines.append(
        el(
          "tr",
          {},
          el("td", { text: `${ln.name || ln.sku}` }),
          el("td", { class: "num", text: `${ln.quantity} × ${ln.unit_price}` }),
          el("td", { class: "num", text: ln.subtotal }),
        ),
      );
      // One line per source of the discount, as the sale screen named them: the card's, a campaign's, a coupon's.
      const parts = ln.discounts && ln.discounts.length
        ? ln.discounts
        : ln.discount_amount !== "0.00" ? [{ source: "card", percent: ln.discount_percent, amount: ln.discount_amount }] : [];
      for (const d of parts) {
        const label = d.source === "card" ? t("Card discount {0} %", d.percent) : d.source === "coupon" ? t("Coupon: {0}", d.name) : d.name;
        lines.append(
          el(
            "tr",
            { class: "discount-line" },
            el("td", { text: `  ${label}` }),
            el("td"),
            el("td", { class: "num", text: `−${d.amount}` }),
          ),
        );
      }
    }
    const totals = $("receipt-totals");
    totals.replaceChildren(
      ...receiptRow(t("Subtotal"), r.subtotal),
      ...receiptRow(t("Discount"), r.discount_total === "0.00" ? "0.00" : `−${r.discount_total}`),
      ...receiptRow(
        t("Points redeemed"),
        r.points_redeemed === "0.00" ? "0.00" : t("{0} pts = −{1}", r.points_redeemed, r.points_redeemed_amount),
      ),
      ...receiptRow(t("Total"), withCurrency(r.total_due), "grand"),
      ...receiptRow(t("Points earned"), r.points_earned),
      ...(window.posGiftCards ? window.posGiftCards.receiptRows(r, receiptRow) : []),
    );
    const cardBox = $("receipt-card");
    cardBox.replaceChildren();
    if (r.card) {
      cardBox.append(
        el("p", { text: t("Card {0} · {1}", r.card.number, r.card.customer ? r.card.customer.display_name : "") }),
        el("p", {
          text: t("{0} · {1} % · points balance {2}", r.card.level ? t("Level {0}", r.card.level) : t("No level yet"),
            r.card.discount_percent, r.card.points_balance),
        }),
      );
    }
    basketStore.clear();
    setView("receipt");
    showInfo(t("Sale complete. Receipt no. {0}, total {1}.", r.receipt_id, withCurrency(r.total_due)));
    $("new-sale").focus();
  }

  function newSale() {
    state.lines = [];
    state.coupons = [];
    state.card = null;
    state.pendingCard = null;
    state.quote = null;
    state.pointsError = null;
    state.sale = { key: null, bodyJson: null };
    if (window.posGiftCards) window.posGiftCards.reset();
    clearTimeout(quoteTimer);
    quoteSeq++;
    setMultiplier(null);
    $("points").value = "0.00";
    closeActivation();
    closeReplacement();
    closeManual();
    clearMessage();
    renderLines();
    renderCard();
    renderQuote();
    basketStore.clear();
    setView("sale");
    $("scan").focus();
  }

  $("complete").addEventListener("click", complete);
  $("new-sale").addEventListener("click", newSale);
  $("print-receipt").addEventListener("click", () => window.print());

  // --- refunds --------------------------------------------------------------------------------

  const CARD_RE = /^2\d{12}$/;

  $("refund-find").addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = $("refund-receipt").value.trim();
    // The customer's card instead of the receipt: their receipts in this store.
    if (CARD_RE.test(typed)) {
      $("refund-receipt").value = "";
      $("search-card").value = typed;
      $("search-date").value = "";
      $("search-amount").value = "";
      return searchReceipts(1);
    }
    const number = typed.replace(/\D/g, "");
    if (!number) return showError(t("Type the receipt number, or scan the customer's card."));
    clearMessage();
    $("refund-result").hidden = true;
    await loadRefundReceipt(number);
  });

  // --- finding a receipt without its number: by card, day and amount ---------------------------

  let searchPage = 1;

  $("refund-search").addEventListener("submit", (event) => {
    event.preventDefault();
    searchReceipts(1);
  });
  $("refund-found-more").addEventListener("click", () => searchReceipts(searchPage + 1));

  async function searchReceipts(page) {
    const query = new URLSearchParams();
    const card = $("search-card").value.replace(/\s/g, "");
    const amount = normaliseNumber($("search-amount").value);
    if (card) query.set("card", card);
    if ($("search-date").value) query.set("date", $("search-date").value);
    if (amount) {
      if (!MONEY_RE.test(amount)) return showError(t("Amount paid: an amount like 12.50."));
      query.set("amount", fromCents(cents(amount)));
    }
    if (![...query.keys()].length) return showError(t("Type a card, a day or the amount paid, then Search."));
    query.set("page", String(page));
    clearMessage();
    $("refund-result").hidden = true;
    try {
      const { data } = await api("GET", `receipts/?${query}`);
      searchPage = data.page;
      renderFound(data, page > 1);
    } catch (error) {
      showError(error.code === "invalid_card_number" ? t("Wrong check digit in card {0}.", card) : error.message);
    }
  }

  function renderFound(data, append) {
    const body = $("refund-found-body");
    if (!append) body.replaceChildren();
    for (const r of data.results) {
      const open = el("button", { type: "button", class: "btn btn-small", text: t("Open"),
        onclick: () => loadRefundReceipt(String(r.receipt_id)) });
      const row = el("tr", { onclick: (event) => { if (event.target !== open) open.click(); } },
        el("td", { class: "mono", text: String(r.receipt_id) }),
        el("td", { text: formatTime(r.created_at) }),
        el("td", { class: "mono", text: r.card_number || "—" }),
        el("td", { class: "num", text: String(r.line_count) }),
        el("td", { class: "num", text: r.total_due }),
        el("td", { class: "num", text: r.refunded_amount }),
        el("td", { class: "num" }, open));
      body.append(row);
    }
    $("refund-found").hidden = false;
    $("refund-found-more").hidden = data.page >= data.pages;
    $("refund-found-count").textContent = data.count
      ? (data.count === 1 ? t("1 receipt found") : t("{0} receipts found", data.count))
      : t("No receipt of this store matches.");
    const first = body.querySelector("button");
    if (first && !append) first.focus();
  }

  async function loadRefundReceipt(number, { keepSlip = false } = {}) {
    if (!keepSlip) $("refund-result").hidden = true;
    try {
      const { data } = await api("GET", `receipts/${number}/`);
      state.refund = { receipt: data, key: null, bodyJson: null };
      $("refund-found").hidden = true;
      renderRefundReceipt(!keepSlip);
    } catch (error) {
      $("refund-receipt-box").hidden = true;
      // Another store's receipt: the API names the store (details.store_name).
      showError(error.status === 404 && !error.details.store ? `${error.message} (no. ${number})` : error.message);
      $("refund-receipt").select();
    }
  }

  function renderRefundReceipt(focusFirst = true) {
    const r = state.refund.receipt;
    $("refund-number").textContent = r.receipt_id;
    $("refund-date").textContent = formatTime(r.created_at);
    $("refund-card").textContent = r.card
      ? t("Card {0} · {1} · paid {2}", r.card.number, r.card.customer ? r.card.customer.display_name : "", withCurrency(r.total_due))
      : t("No card · paid {0}", withCurrency(r.total_due));
    const body = $("refund-lines");
    body.replaceChildren();
    let anyLeft = false;
    r.lines.forEach((ln, i) => {
      const left = thousandths(ln.quantity) - thousandths(ln.refunded_quantity || "0");
      anyLeft ||= left > 0;
      const qty = el("input", {
        class: "qty",
        inputmode: "decimal",
        "aria-label": t("Refund quantity of {0}", ln.name || ln.sku),
        "data-index": i,
        "data-max": left,
      });
      qty.value = "0";
      if (left <= 0) qty.disabled = true;
      qty.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          refundSelected();
        }
      });
      body.append(
        el(
          "tr",
          {},
          el("td", { class: "col-item" }, el("span", { class: "item-name", text: ln.name || ln.sku }),
            el("span", { class: "item-meta", text: ln.sku })),
          el("td", { class: "num", text: ln.quantity }),
          el("td", { class: "num", text: ln.refunded_quantity || "0" }),
          el("td", { class: "num", text: ln.total }),
          el("td", { class: "num strong", text: fromThousandths(Math.max(0, left)) }),
          el("td", { class: "num col-qty" }, qty),
        ),
      );
    });
    $("refund-selected").disabled = !anyLeft;
    $("refund-all").disabled = !anyLeft;
    $("refund-receipt-box").hidden = false;
    if (!anyLeft && focusFirst) showInfo(t("This receipt is already refunded in full."));
    const first = body.querySelector("input:not([disabled])");
    if (first && focusFirst) first.select();
  }

  function refundSelected() {
    const wanted = new Map(); // sku -> thousandths: the API refunds by SKU
    for (const input of $("refund-lines").querySelectorAll("input")) {
      if (input.disabled) continue;
      const value = normaliseNumber(input.value) || "0";
      const line = state.refund.receipt.lines[Number(input.dataset.index)];
      if (!QTY_RE.test(value)) {
        showError(t("Refund quantity of {0}: a number like 1 or 0.5.", line.name || line.sku));
        return input.select();
      }
      if (thousandths(value) > Number(input.dataset.max)) {
        showError(t("At most {0} of {1} can be refunded.", fromThousandths(Number(input.dataset.max)), line.name || line.sku));
        return input.select();
      }
      if (thousandths(value) > 0) wanted.set(line.sku, (wanted.get(line.sku) || 0) + thousandths(value));
    }
    if (!wanted.size) return showError(t("Type a quantity to refund, or use Refund all."));
    const lines = [...wanted].map(([sku, n]) => ({ sku, quantity: fromThousandths(n) }));
    return confirmRefund(lines);
  }

  function refundAll() {
    const r = state.refund.receipt;
    if (!r) return;
    const lines = r.lines
      .map((ln) => ({ sku: ln.sku, quantity: fromThousandths(thousandths(ln.quantity) - thousandths(ln.refunded_quantity || "0")) }))
      .filter((ln) => thousandths(ln.quantity) > 0);
    if (!lines.length) return showInfo(t("This receipt is already refunded in full."));
    return confirmRefund(lines, true);
  }

  /** What the refund takes back, and why: asked before anything is paid out. */
  async function confirmRefund(lines, all = false) {
    const r = state.refund.receipt;
    if (!r || state.busy) return;
    const bySku = new Map(r.lines.map((ln) => [ln.sku, ln]));
    let goods = 0;
    const summary = lines.map(({ sku, quantity }) => {
      const ln = bySku.get(sku);
      // What these goods were paid, before points and level corrections (the slip shows the cash back).
      goods += Math.round((cents(ln.total) * thousandths(quantity)) / thousandths(ln.quantity));
      return `${quantity} × ${ln.name || sku}`;
    });
    const reasons = el("fieldset", { class: "reasons" }, el("legend", { text: t("Reason *") }),
      ...config.refundReasons.map(([value, label], i) =>
        el("label", { class: "check" },
          el("input", { type: "radio", name: "refund-reason", value, id: `reason-${value}` }),
          ` ${i + 1}. ${label}`)));
    const note = el("input", { id: "refund-note", maxlength: "200", placeholder: t("Note (optional)") });
    const chosen = () => {
      const radio = reasons.querySelector("input:checked");
      return radio ? radio.value : "";
    };
    // Digits pick a reason: the cashier never needs the mouse.
    reasons.addEventListener("keydown", (event) => {
      const radio = reasons.querySelectorAll("input")[Number(event.key) - 1];
      if (/^[1-9]$/.test(event.key) && radio) {
        event.preventDefault();
        radio.checked = true;
        radio.focus();
      }
    });
    const yes = await confirmDialog({
      title: all ? t("Refund everything left on receipt no. {0}?", r.receipt_id) : t("Refund from receipt no. {0}?", r.receipt_id),
      lines: [...summary, r.card ? t("Goods worth {0}, card {1}", withCurrency(fromCents(goods)), r.card.number)
        : t("Goods worth {0}", withCurrency(fromCents(goods)))],
      extra: [reasons, note],
      ok: t("Refund"),
      check: () => (chosen() ? "" : t("Choose the reason (1–6).")),
      focus: reasons.querySelector("input"),
    });
    if (!yes) return;
    return postRefund({ lines, reason: chosen(), note: note.value.trim() });
  }

  async function postRefund(body) {
    const r = state.refund.receipt;
    if (!r || state.busy) return;
    clearMessage();
    const bodyJson = JSON.stringify([r.receipt_id, body]);
    if (state.refund.bodyJson !== bodyJson) Object.assign(state.refund, { key: uuid(), bodyJson });
    state.busy = true;
    try {
      const { data } = await api("POST", `receipts/${r.receipt_id}/refund/`, body, {
        "Idempotency-Key": state.refund.key,
      });
      state.refund.key = null;
      state.refund.bodyJson = null;
      showRefundResult(data);
      await loadRefundReceipt(r.receipt_id, { keepSlip: true });
      $("print-refund").focus();
    } catch (error) {
      const retry = error.status === 0 || error.status >= 500;
      showError(retry ? `${error.message} ${t("Try again: the refund will not be paid twice.")}` : error.message);
    } finally {
      state.busy = false;
    }
  }

  /** The refund slip: what came back, what was paid back, why; printed and signed by the customer. */
  function showRefundResult(d) {
    const receipt = state.refund.receipt;
    const names = new Map(receipt.lines.map((ln) => [ln.sku, ln.name || ln.sku]));
    $("slip-refund").textContent = d.refund_id;
    $("slip-receipt").textContent = d.receipt_id;
    $("slip-date").textContent = formatTime(new Date().toISOString());
    $("slip-lines").replaceChildren(
      ...d.lines.map((ln) => el("tr", {}, el("td", { text: names.get(ln.sku) || ln.sku }), el("td", { class: "num", text: `${ln.quantity}` }))),
    );
    const reason = (config.refundReasons.find(([value]) => value === d.reason) || [null, ""])[1];
    $("slip-totals").replaceChildren(
      el("dt", { class: "grand", text: t("Paid back") }),
      el("dd", { class: "grand" }, el("span", { id: "refund-amount", text: d.amount_refunded }), ` ${CURRENCY}`),
      ...receiptRow(t("Points returned"), d.points_returned),
      ...receiptRow(t("Points taken back"), d.points_reversed),
      ...(d.points_shortfall && d.points_shortfall !== "0.00" ? receiptRow(t("Points already spent, not taken back"), d.points_shortfall) : []),
    );
    const more = [el("p", { text: t("Reason: {0}", `${reason || "—"}${d.note ? ` (${d.note})` : ""}`) })];
    if (window.posGiftCards) more.push(...window.posGiftCards.refundLines(d, el)); // back onto gift cards, rest cash
    // Later purchases priced at a level this refund's spend had reached: their extra discount, kept or owed.
    for (const c of d.clawbacks || []) {
      const at = [c.receipt_id, c.level_given || t("base"), c.level_earned || t("base")];
      const text = c.kept.startsWith("-") || c.recorded.startsWith("-")
        ? t("Receipt #{0} was priced at {1}, earned {2}: discount {3} paid back, {4} no longer owed",
          ...at, c.kept.replace("-", ""), c.recorded.replace("-", ""))
        : c.recorded !== "0.00"
          ? t("Receipt #{0} was priced at {1}, earned {2}: discount {3} kept from the cash, {4} recorded as owed",
            ...at, c.kept, c.recorded)
          : t("Receipt #{0} was priced at {1}, earned {2}: discount {3} kept from the cash", ...at, c.kept);
      more.push(el("p", { class: "clawback", text }));
    }
    if (d.card) {
      more.push(el("p", {
        text: t("Card {0}: {1}, {2} %, points {3}", d.card.number, d.card.level ? t("Level {0}", d.card.level) : t("No level yet"),
          d.card.discount_percent, d.card.points_balance),
      }));
    }
    $("slip-more").replaceChildren(...more);
    $("refund-result").hidden = false;
    showInfo(t("Refunded {0} (refund no. {1}). Print the slip for the customer to sign.", withCurrency(d.amount_refunded), d.refund_id));
  }

  $("print-refund").addEventListener("click", () => window.print());
  $("refund-selected").addEventListener("click", refundSelected);
  $("refund-all").addEventListener("click", refundAll);


  // --- confirmations --------------------------------------------------------------------------
  // One modal dialog for every "are you sure": Enter confirms, Esc cancels, nothing else reaches the till.

  const dialogOpen = () => Boolean(document.querySelector("dialog[open]"));

  /**
   * Ask; resolves true when confirmed. extra: nodes shown under the lines (a reason to choose);
   * check(): a sentence when the answer is not complete yet (the dialog stays open).
   */
  function confirmDialog({ title, lines = [], extra = [], ok, check = () => "", focus = null }) {
    const dialog = $("confirm-dialog");
    $("confirm-title").textContent = title;
    $("confirm-lines").replaceChildren(...lines.map((text) => el("li", { text })));
    $("confirm-extra").replaceChildren(...extra);
    $("confirm-ok").textContent = ok;
    setFieldError("confirm-error", "");
    return new Promise((resolve) => {
      const onSubmit = (event) => {
        if (event.submitter && event.submitter.value === "cancel") return;
        const problem = check();
        if (problem) {
          event.preventDefault();
          setFieldError("confirm-error", problem);
        }
      };
      const onKey = (event) => {
        // Enter anywhere in the dialog (a radio, a text box) confirms; the buttons answer for themselves.
        if (event.key !== "Enter" || event.target.tagName === "BUTTON") return;
        event.preventDefault();
        $("confirm-ok").click();
      };
      $("confirm-form").addEventListener("submit", onSubmit);
      dialog.addEventListener("keydown", onKey);
      dialog.addEventListener(
        "close",
        () => {
          $("confirm-form").removeEventListener("submit", onSubmit);
          dialog.removeEventListener("keydown", onKey);
          resolve(dialog.returnValue === "ok");
          focusHome();
        },
        { once: true },
      );
      dialog.returnValue = "";
      dialog.showModal();
      (focus || $("confirm-ok")).focus();
    });
  }

  // --- the basket kept through a reload, parked sales, void ---------------------------------------

  const basketStore = window.posBasketStore(config.storeCode, config.cashierKey);

  const basketNow = () => ({
    lines: state.lines.map((ln) => ({ ...ln })),
    cardNumber: state.card ? state.card.number : null,
    cardName: state.card && state.card.customer ? state.card.customer.display_name : null,
    coupons: [...state.coupons],
    points: $("points").value,
    sale: state.sale,
    total: state.quote ? state.quote.total_due : null,
  });

  function keepBasket() {
    if (state.view === "sale") basketStore.save(basketNow());
  }

  /** Put a kept or parked basket back on the screen; its card is read again (level and points may have moved). */
  async function restoreBasket(kept, note) {
    state.lines = kept.lines || [];
    state.coupons = kept.coupons || [];
    state.sale = kept.sale || { key: null, bodyJson: null };
    $("points").value = kept.points || "0.00";
    renderLines();
    renderCoupons();
    if (kept.cardNumber) {
      try {
        const { data } = await api("GET", `cards/${kept.cardNumber}/`);
        if (data.status === "active") attachCard(data, null);
        else showError(await unusableCardMessage(data));
      } catch (error) {
        showError(t("Card {0}: {1}", kept.cardNumber, error.message));
      }
    }
    scheduleQuote();
    if (note) showInfo(note);
  }

  const saleSummary = (b) => {
    const n = b.lines.length;
    const parts = [n === 1 ? t("1 line") : t("{0} lines", n)];
    if (b.total) parts.push(withCurrency(b.total));
    if (b.cardName) parts.push(t("card of {0}", b.cardName));
    return parts.join(", ");
  };

  async function voidSale() {
    if (state.view !== "sale" || state.busy) return;
    if (!state.lines.length && !state.card && !state.coupons.length) return showInfo(t("The sale is empty: nothing to void."));
    const yes = await confirmDialog({
      title: t("Void this sale?"),
      lines: [saleSummary(basketNow()), t("Nothing is charged; the lines and the card are taken off.")],
      ok: t("Void sale"),
    });
    if (!yes) return;
    newSale();
    showInfo(t("Sale voided."));
  }

  function renderParkedCount() {
    const n = basketStore.parked().length;
    $("parked-count").textContent = String(n);
    $("parked-open").hidden = n === 0;
  }

  async function parkSale() {
    await scanChain.catch(() => {}); // a scan still being looked up belongs to this sale
    if (state.view !== "sale" || state.busy) return;
    if (!state.lines.length) return openParked();
    const basket = basketNow();
    const at = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone: config.timeZone });
    if (!basketStore.park(basket, `${at} · ${saleSummary(basket)}`)) {
      return showError(t("20 sales are parked already: recall or void one first."));
    }
    newSale();
    renderParkedCount();
    showInfo(t("Sale parked ({0}). F10 or “Parked” recalls it.", saleSummary(basket)));
  }

  function openParked() {
    const parked = basketStore.parked();
    if (!parked.length) return showInfo(t("No parked sales."));
    $("parked-list").replaceChildren(
      ...parked.map((p, i) =>
        el("li", {}, el("span", { text: p.label }),
          el("button", { type: "button", class: "btn btn-small", "data-id": p.id, text: i < 9 ? t("Recall {0}", i + 1) : t("Recall"),
            onclick: () => recallParked(p.id) })),
      ),
    );
    $("parked-dialog").showModal();
    $("parked-list").querySelector("button").focus();
  }

  async function recallParked(id) {
    $("parked-dialog").close();
    if (state.lines.length) {
      return showError(t("Finish, park or void the sale on screen first, then recall the parked one."));
    }
    const parked = basketStore.take(id);
    renderParkedCount();
    if (!parked) return;
    newSale();
    await restoreBasket(parked, t("Parked sale recalled ({0}).", saleSummary(parked)));
  }

  $("parked-dialog").addEventListener("keydown", (event) => {
    if (!/^[1-9]$/.test(event.key)) return;
    const buttons = $("parked-list").querySelectorAll("button");
    const button = buttons[Number(event.key) - 1];
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
  $("parked-dialog").addEventListener("close", () => focusHome());
  $("park-sale").addEventListener("click", parkSale);
  $("parked-open").addEventListener("click", openParked);
  $("void-sale").addEventListener("click", voidSale);

  // --- views and keys -----------------------------------------------------------------------

  function setView(view) {
    state.view = view;
    $("sale-view").hidden = view !== "sale";
    $("receipt-view").hidden = view !== "receipt";
    $("refund-view").hidden = view !== "refund";
    $("mode-sale").setAttribute("aria-pressed", String(view !== "refund"));
    $("mode-refund").setAttribute("aria-pressed", String(view === "refund"));
  }

  function openRefund() {
    clearMessage();
    setView("refund");
    $("refund-result").hidden = true;
    $("refund-receipt").select();
    $("refund-receipt").focus();
  }
  function backToSale() {
    clearMessage();
    if (state.view === "receipt") return newSale();
    setView("sale");
    $("scan").focus();
  }
  $("mode-refund").addEventListener("click", openRefund);
  $("mode-sale").addEventListener("click", backToSale);

  document.querySelectorAll("[data-close]").forEach((button) =>
    button.addEventListener("click", () => {
      if (button.dataset.close === "activate") closeActivation();
      else if (button.dataset.close === "replace") closeReplacement();
      else closeManual();
      clearMessage();
      $("scan").focus();
    }),
  );

  function escape() {
    if (state.view === "sale" && ($("scan").value || state.multiplier)) {
      $("scan").value = "";
      setMultiplier(null);
      return clearMessage();
    }
    if (!$("message").hidden) return clearMessage();
    if (!$("activate-form").hidden) {
      closeActivation();
      showInfo(t("Card not registered: the sale goes on without it."));
    } else if (!$("replace-form").hidden) {
      closeReplacement();
      showInfo(t("No card replaced: the sale goes on without the new card."));
    } else if (!$("manual-form").hidden) closeManual();
    else if (state.view === "refund") return backToSale();
    else if (state.view === "sale" && state.lines.length) return voidSale(); // with a confirmation
    focusHome();
  }

  const isField = (node) => node && (node.tagName === "INPUT" || node.tagName === "SELECT" || node.tagName === "TEXTAREA");

  document.addEventListener("keydown", (event) => {
    const key = event.key;
    if (dialogOpen()) return; // the dialog's own keys: Enter confirms, Esc cancels
    if (key === "F10") {
      event.preventDefault();
      if (state.view === "receipt") newSale();
      if (state.view === "sale") parkSale();
      return;
    }
    if (key === "Delete" && event.ctrlKey) {
      event.preventDefault();
      return voidSale();
    }
    if (key === "F9" || (key === "Enter" && (event.ctrlKey || event.metaKey))) {
      event.preventDefault();
      if (state.view === "sale") complete();
      else if (state.view === "receipt") newSale();
      return;
    }
    if (key === "Escape") {
      event.preventDefault();
      return escape();
    }
    if (key === "Enter" && state.view === "receipt" && document.activeElement.tagName !== "BUTTON") {
      event.preventDefault();
      return newSale();
    }
    if (key === "F2") {
      event.preventDefault();
      if (state.view === "receipt") return newSale();
      if (state.view === "refund") return backToSale();
      return $("scan").focus();
    }
    if (key === "F3") {
      event.preventDefault();
      if (state.view === "sale") focusLastLine();
      return;
    }
    if (key === "F4") {
      event.preventDefault();
      if (state.view === "refund") backToSale();
      return openManual();
    }
    if (key === "F6") {
      event.preventDefault();
      if (state.view === "sale" && !$("points").disabled) $("points").select();
      return;
    }
    if (key === "F7") {
      event.preventDefault();
      if (!$("activate-form").hidden) openReplacement();
      return;
    }
    if (key === "F8") {
      event.preventDefault();
      return openRefund();
    }
    // A scanner firing while focus is on a button or the page still lands in the scan field.
    if (state.view === "sale" && !isField(document.activeElement) && /^[0-9A-Za-z]$/.test(key) && !event.ctrlKey
      && !event.altKey && !event.metaKey) {
      $("scan").focus();
    }
  });

  // The gift card panel (static/pos/giftcards.js) works through these.
  window.posTill = { api, state, showError, showInfo, clearMessage, scheduleQuote, flushQuote, uuid, cents, fromCents,
    normaliseNumber, withCurrency, MONEY_RE, t };

  // --- start ----------------------------------------------------------------------------------

  renderLines();
  renderCard();
  renderQuote();
  loadCategories();
  setView("sale");
  renderParkedCount();
  const kept = basketStore.current();
  if (kept) restoreBasket(kept, t("The sale on screen before the reload is back."));
  // Focus only once the handlers exist: a scan into a plain form would reload the page as ?scan=….
  $("scan").focus();
  document.body.dataset.ready = "true";
})();
