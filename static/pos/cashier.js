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

  const QTY_RE = /^\d{1,9}(\.\d{1,3})?$/;
  const MONEY_RE = /^\d{1,10}(\.\d{1,2})?$/;
  const REDEEM_CODES = new Set(["redeem_limit_exceeded", "insufficient_points"]);
  const CARD_CODES = new Set(["card_blocked", "card_replaced", "card_not_found", "card_not_active"]);
  const CARD_STATUS_TEXT = {
    blocked: "This card is blocked. Ask the customer for another card.",
    replaced: "This card was replaced by a new one. Ask for the new card.",
  };

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
      throw new ApiError(0, "network_error", "No connection to the server. Check the network and try again.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok) return { status: response.status, data };
    if (response.status === 401) {
      throw new ApiError(401, "not_authenticated", "Your session has ended: reload the page and log in again.");
    }
    const error = data && data.error;
    if (!error) throw new ApiError(response.status, `http_${response.status}`, `The server answered ${response.status}.`);
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
  const showError = (text) => showMessage(text, "error");
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

  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("scan").value.trim();
    $("scan").value = "";
    if (!code) return;
    scanChain = scanChain
      .then(() => handleScan(code))
      .catch((error) => showError(error.message))
      .finally(() => {
        if (document.activeElement === document.body) focusHome();
      });
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
        if (error.code === "invalid_card_number") return showError(`Wrong check digit – scan again (${code}).`);
        if (error.status !== 404) return showError(error.message);
        // Not a card: in-store numbers starting with 2 are also used for weighed goods.
      }
    }
    try {
      const { data } = await api("GET", `products/${encodeURIComponent(code)}/`);
      addProduct(data);
    } catch (error) {
      if (error.status !== 404) return showError(error.message);
      // Not a product: perhaps a coupon. The quote decides, and says why one cannot apply.
      if (state.lines.length && !state.coupons.includes(code)) return couponScanned(code);
      showError(`Unknown barcode ${code}. Scan again or type the line (F4).`);
    }
  }

  /** A coupon joins the sale when the quote accepts it; otherwise the quote's reason is shown. */
  async function couponScanned(code) {
    try {
      await api("POST", "checkout/quote/", { ...saleBody(), coupons: [...state.coupons, code] });
    } catch (error) {
      if (error.code === "coupon_invalid") return showError(`Coupon ${code}: ${error.message}`);
      return showError(error.status === 404 ? `Unknown barcode ${code}.` : error.message);
    }
    state.coupons.push(code);
    showInfo(`Coupon ${code} added.`);
    renderCoupons();
    scheduleQuote();
  }

  function renderCoupons() {
    const given = new Map(((state.quote && state.quote.coupons) || []).map((c) => [c.code, c.discount]));
    $("coupons").replaceChildren(
      ...state.coupons.map((code) =>
        el(
          "li",
          {},
          el("span", { text: `Coupon ${code}` }),
          el("span", { class: "num good", text: given.has(code.replace(/[\s-]/g, "").toUpperCase()) ? `−${given.get(code.replace(/[\s-]/g, "").toUpperCase())}` : "…" }),
          el("button", {
            type: "button", class: "btn btn-small", text: "✕", "aria-label": `Remove coupon ${code}`,
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
      .map((d) => (d.source === "card" ? `Card ${d.percent} %` : `${d.source === "coupon" ? "Coupon: " : ""}${d.name} −${d.amount}`))
      .join(" · ");
  }

  async function cardScanned(card) {
    if (card.status === "active") return attachCard(card, `Card of ${card.customer.display_name} added.`);
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
        if (CARD_CODES.has(error.code)) return `${error.message} (card ${card.number})`;
      }
    }
    return `${CARD_STATUS_TEXT[card.status] || "This card cannot be used."} (card ${card.number})`;
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
    if (!response.ok) throw new Error((data && data.error && data.error.message) || `The server answered ${response.status}.`);
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
      showInfo(`Web sign-in of card ${number} is unlocked: the customer can sign in with their PIN again.`);
    } catch (error) {
      showError(error.message);
    }
    $("scan").focus();
  });

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
    showInfo(`Card ${card.number} is new: fill in the customer's name and phone, then Enter.`);
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
      setFieldError("activate-error", "Name and phone are required.");
      (body.name ? $("act-phone") : $("act-name")).focus();
      return;
    }
    state.busy = true;
    try {
      const { data } = await api("POST", `cards/${card.number}/activate/`, body);
      attachCard(data, `Card registered for ${data.customer.display_name}.`);
    } catch (error) {
      if (error.code === "card_already_active") {
        const { data } = await api("GET", `cards/${card.number}/`);
        attachCard(data, `This card was already registered (to ${data.customer.display_name}); it is added.`);
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
    showInfo(`Card ${card.number} replaces a lost card: find the customer by phone.`);
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
      setFieldError("replace-error", "Type the customer's phone.");
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
        setFieldError("replace-error", "No card holder has this phone. Check the number with the customer.");
        return $("rep-phone").focus();
      }
      const names = data.customers.map((c) => c.display_name).join(", ");
      $("rep-names").textContent =
        `On file: ${names} – ask the customer for their name and birthday; go on only if the name fits.`;
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
      setFieldError("replace-error", "Type the birthday the customer tells.");
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
          "The birthday does not match. Without a match the card cannot be moved here: a manager can do it in the admin.");
        return $("rep-birthday").focus();
      }
      cards.forEach((card, i) => {
        const radio = el("input", { type: "radio", name: "rep-card", value: card.number, id: `rep-card-${i}` });
        radio.addEventListener("change", () => {
          r.chosen = card.number;
          $("rep-confirm").disabled = false;
        });
        const level = card.level || "No level yet";
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
      attachCard(data, `Card ${data.number} replaces card ${old}: level, spend and points moved. The old card no longer works.`);
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

  function addProduct(product) {
    const same = state.lines.find((ln) => ln.sku === product.sku && ln.unit_price === product.price);
    if (same && QTY_RE.test(same.quantity)) {
      same.quantity = fromThousandths(thousandths(same.quantity) + 1000);
    } else {
      state.lines.push({
        sku: product.sku,
        name: product.name,
        category: product.category,
        quantity: "1",
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
    if (category.discount_policy === "excluded") return `${category.name} · no card discount`;
    if (category.discount_policy === "capped") {
      return `${category.name} · max ${percentShort(category.max_discount_percent || "0")} %`;
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
        "aria-label": `Quantity of ${line.name || line.sku}`,
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
        }
      });
      const remove = el("button", {
        type: "button",
        class: "btn btn-small btn-remove",
        "aria-label": `Remove ${line.name || line.sku}`,
        title: "Remove line",
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

  function openManual() {
    if (state.view !== "sale") return;
    $("manual-form").hidden = false;
    setFieldError("manual-error", "");
    $("man-sku").focus();
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
    let problem = "";
    if (!line.sku) problem = "Type the SKU.";
    else if (!line.category) problem = "Choose a category.";
    else if (!QTY_RE.test(line.quantity) || thousandths(line.quantity) === 0) {
      problem = "Quantity: a number above 0 with at most 3 decimals.";
    } else if (!MONEY_RE.test(line.unit_price)) problem = "Unit price: an amount like 2.49.";
    if (problem) return setFieldError("manual-error", problem);
    line.unit_price = fromCents(cents(line.unit_price));
    addManualLine(line);
    closeManual();
    $("scan").focus();
  });

  async function loadCategories() {
    try {
      const { data } = await api("GET", "categories/");
      const select = $("man-category");
      select.replaceChildren(el("option", { value: "", text: "— choose —" }));
      for (const category of data) {
        state.categories[category.code] = category;
        select.append(el("option", { value: category.code, text: categoryLabel(category.code) }));
      }
      renderLines();
    } catch (error) {
      showError(`Could not load the categories: ${error.message}`);
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
        showError(`${error.message} The card was taken off this sale.`);
        detachCard();
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
    $("card-level").textContent = card.level || "No level yet";
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
        `Spend ${withCurrency(next.spend_needed)} more for ${percentShort(next.discount_percent)} % (${next.name})`;
    } else {
      bar.style.width = "100%";
      $("card-progress").textContent = "Top level reached";
    }
  }

  $("card-remove").addEventListener("click", () => {
    detachCard();
    showInfo("Card removed from this sale.");
    $("scan").focus();
  });

  // --- complete and the receipt ------------------------------------------------------------

  async function complete() {
    if (state.view !== "sale" || state.busy) return;
    clearMessage();
    if (!state.lines.length) return showError("The sale is empty: scan a product first.");
    if (state.pendingCard) return showError("Register the new card first, or press Esc to sell without it.");
    if (linesInvalid()) return showError("A quantity is not valid: fix it or remove the line.");
    state.busy = true;
    $("complete").disabled = true;
    $("complete").classList.add("working");
    try {
      await flushQuote();
      if (state.pointsError) {
        showError(`Points: ${sentence(state.pointsError)}.`);
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
      showError(retry ? `${error.message} Press F9 to try again: the sale will not be charged twice.` : error.message);
      if (REDEEM_CODES.has(error.code)) {
        state.pointsError = error.message;
        renderPoints();
      }
      if (CARD_CODES.has(error.code)) detachCard();
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
      if (ln.discount_amount !== "0.00") {
        lines.append(
          el(
            "tr",
            { class: "discount-line" },
            el("td", { text: `  Card discount ${ln.discount_percent} %` }),
            el("td"),
            el("td", { class: "num", text: `−${ln.discount_amount}` }),
          ),
        );
      }
    }
    const totals = $("receipt-totals");
    totals.replaceChildren(
      ...receiptRow("Subtotal", r.subtotal),
      ...receiptRow("Card discount", r.discount_total === "0.00" ? "0.00" : `−${r.discount_total}`),
      ...receiptRow(
        "Points redeemed",
        r.points_redeemed === "0.00" ? "0.00" : `${r.points_redeemed} pts = −${r.points_redeemed_amount}`,
      ),
      ...receiptRow("Total", withCurrency(r.total_due), "grand"),
      ...receiptRow("Points earned", r.points_earned),
      ...(window.posGiftCards ? window.posGiftCards.receiptRows(r, receiptRow) : []),
    );
    const cardBox = $("receipt-card");
    cardBox.replaceChildren();
    if (r.card) {
      cardBox.append(
        el("p", { text: `Card ${r.card.number} · ${r.card.customer ? r.card.customer.display_name : ""}` }),
        el("p", {
          text: `${r.card.level ? `Level ${r.card.level}` : "No level yet"} · ${r.card.discount_percent} % · points balance ${r.card.points_balance}`,
        }),
      );
    }
    setView("receipt");
    showInfo(`Sale complete. Receipt no. ${r.receipt_id}, total ${withCurrency(r.total_due)}.`);
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
    $("points").value = "0.00";
    closeActivation();
    closeReplacement();
    closeManual();
    clearMessage();
    renderLines();
    renderCard();
    renderQuote();
    setView("sale");
    $("scan").focus();
  }

  $("complete").addEventListener("click", complete);
  $("new-sale").addEventListener("click", newSale);
  $("print-receipt").addEventListener("click", () => window.print());

  // --- refunds --------------------------------------------------------------------------------

  $("refund-find").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("refund-receipt").value.replace(/\D/g, "");
    if (!number) return showError("Type the receipt number.");
    clearMessage();
    $("refund-result").hidden = true;
    await loadRefundReceipt(number);
  });

  async function loadRefundReceipt(number) {
    try {
      const { data } = await api("GET", `receipts/${number}/`);
      state.refund = { receipt: data, key: null, bodyJson: null };
      renderRefundReceipt();
    } catch (error) {
      $("refund-receipt-box").hidden = true;
      showError(error.status === 404 ? `${error.message} (no. ${number})` : error.message);
      $("refund-receipt").select();
    }
  }

  function renderRefundReceipt() {
    const r = state.refund.receipt;
    $("refund-number").textContent = r.receipt_id;
    $("refund-date").textContent = formatTime(r.created_at);
    $("refund-card").textContent = r.card
      ? `Card ${r.card.number} · ${r.card.customer ? r.card.customer.display_name : ""} · paid ${withCurrency(r.total_due)}`
      : `No card · paid ${withCurrency(r.total_due)}`;
    const body = $("refund-lines");
    body.replaceChildren();
    let anyLeft = false;
    r.lines.forEach((ln, i) => {
      const left = thousandths(ln.quantity) - thousandths(ln.refunded_quantity || "0");
      anyLeft ||= left > 0;
      const qty = el("input", {
        class: "qty",
        inputmode: "decimal",
        "aria-label": `Refund quantity of ${ln.name || ln.sku}`,
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
    if (!anyLeft) showInfo("This receipt is already refunded in full.");
    const first = body.querySelector("input:not([disabled])");
    if (first) first.select();
  }

  function refundSelected() {
    const wanted = new Map(); // sku -> thousandths: the API refunds by SKU
    for (const input of $("refund-lines").querySelectorAll("input")) {
      if (input.disabled) continue;
      const value = normaliseNumber(input.value) || "0";
      const line = state.refund.receipt.lines[Number(input.dataset.index)];
      if (!QTY_RE.test(value)) {
        showError(`Refund quantity of ${line.name || line.sku}: a number like 1 or 0.5.`);
        return input.select();
      }
      if (thousandths(value) > Number(input.dataset.max)) {
        showError(`At most ${fromThousandths(Number(input.dataset.max))} of ${line.name || line.sku} can be refunded.`);
        return input.select();
      }
      if (thousandths(value) > 0) wanted.set(line.sku, (wanted.get(line.sku) || 0) + thousandths(value));
    }
    if (!wanted.size) return showError("Type a quantity to refund, or use Refund all.");
    const lines = [...wanted].map(([sku, n]) => ({ sku, quantity: fromThousandths(n) }));
    return postRefund({ lines });
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
      await loadRefundReceipt(r.receipt_id);
      $("refund-receipt").select();
    } catch (error) {
      const retry = error.status === 0 || error.status >= 500;
      showError(retry ? `${error.message} Try again: the refund will not be paid twice.` : error.message);
    } finally {
      state.busy = false;
    }
  }

  function showRefundResult(d) {
    const box = $("refund-result");
    const parts = [
      el("h2", {}, "Refunded ", el("strong", { id: "refund-amount", text: d.amount_refunded }), ` ${CURRENCY}`),
      el("p", { text: `Points returned to the card: ${d.points_returned} · points taken back: ${d.points_reversed}` }),
    ];
    if (window.posGiftCards) parts.push(...window.posGiftCards.refundLines(d, el)); // back onto gift cards, rest cash
    if (d.points_shortfall && d.points_shortfall !== "0.00") {
      parts.push(el("p", { text: `Points already spent, not taken back: ${d.points_shortfall}` }));
    }
    // Later purchases priced at a level this refund's spend had reached: their extra discount, kept or owed.
    for (const c of d.clawbacks || []) {
      const how = c.kept.startsWith("-") || c.recorded.startsWith("-")
        ? `${c.kept.replace("-", "")} paid back, ${c.recorded.replace("-", "")} no longer owed`
        : `${c.kept} kept from the cash${c.recorded !== "0.00" ? `, ${c.recorded} recorded as owed` : ""}`;
      parts.push(
        el("p", {
          class: "clawback",
          text: `Receipt #${c.receipt_id} was priced at ${c.level_given || "base"}, earned ${c.level_earned || "base"}: discount ${how}`,
        }),
      );
    }
    if (d.card) {
      parts.push(
        el("p", {
          class: "muted",
          text: `Card ${d.card.number}: ${d.card.level ? `level ${d.card.level}` : "no level yet"}, ${d.card.discount_percent} %, points ${d.card.points_balance}`,
        }),
      );
    }
    box.replaceChildren(...parts);
    box.hidden = false;
  }

  $("refund-selected").addEventListener("click", refundSelected);
  $("refund-all").addEventListener("click", () => postRefund({ lines: [] }));

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
    if (!$("message").hidden) return clearMessage();
    if (!$("activate-form").hidden) {
      closeActivation();
      showInfo("Card not registered: the sale goes on without it.");
    } else if (!$("replace-form").hidden) {
      closeReplacement();
      showInfo("No card replaced: the sale goes on without the new card.");
    } else if (!$("manual-form").hidden) closeManual();
    else if (state.view === "refund") return backToSale();
    focusHome();
  }

  const isField = (node) => node && (node.tagName === "INPUT" || node.tagName === "SELECT" || node.tagName === "TEXTAREA");

  document.addEventListener("keydown", (event) => {
    const key = event.key;
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
    normaliseNumber, withCurrency, MONEY_RE };

  // --- start ----------------------------------------------------------------------------------

  renderLines();
  renderCard();
  renderQuote();
  loadCategories();
  setView("sale");
  // Focus only once the handlers exist: a scan into a plain form would reload the page as ?scan=….
  $("scan").focus();
  document.body.dataset.ready = "true";
})();
