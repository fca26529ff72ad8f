/* Gift cards at the till: sell or top up one, and pay a sale with one or more (api.md "Gift cards").
 *
 * Works through the helpers cashier.js lends (window.posTill) and answers its hooks (window.posGiftCards):
 * scanned(code) for a number in the gift card range, saleBody() for the checkout's gift_card_payments,
 * quoted(q) after each quote, receiptRows(r) for the receipt, reset() for a new sale. Amounts stay strings.
 */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const till = () => window.posTill;
  // The till's t(): the sentence in the page's language (pos/till_strings.py lists this script's too).
  const t = (text, ...args) => till().t(text, ...args);
  const statusText = (status) => ({
    issued: t("New card, not sold yet"),
    active: t("Balance"),
    blocked: t("Blocked: it can neither be loaded nor pay"),
    expired: t("Expired: it can neither be loaded nor pay"),
  })[status] || status;
  const gift = { card: null, payments: [], sellKey: null, sellBody: null, quote: null };

  function fieldError(text) {
    $("gift-error").textContent = text || "";
    $("gift-error").hidden = !text;
  }

  function amountTyped() {
    const value = till().normaliseNumber($("gift-amount").value);
    if (!till().MONEY_RE.test(value) || till().cents(value) === 0) return null;
    return till().fromCents(till().cents(value));
  }

  // --- the panel of one scanned card ---------------------------------------------------------

  async function scanned(number) {
    try {
      const { data } = await till().api("GET", `gift-cards/${number}/`);
      open(data);
    } catch (error) {
      if (error.code === "invalid_card_number") return till().showError(t("Wrong check digit – scan again ({0}).", number));
      till().showError(error.status === 404 ? t("Gift card {0} is not known here.", number) : error.message);
    }
  }

  function open(card) {
    gift.card = card;
    $("gift-number").textContent = card.number;
    const expiry = card.expires_on ? t(" · valid until {0}", card.expires_on) : "";
    $("gift-state").replaceChildren(
      document.createTextNode(`${statusText(card.status)}: `),
      Object.assign(document.createElement("strong"), { textContent: till().withCurrency(card.balance) }),
      document.createTextNode(expiry),
    );
    const usable = card.status === "issued" || card.status === "active";
    $("gift-sell").disabled = !usable;
    $("gift-sell").textContent = card.status === "issued" ? t("Sell: customer paid") : t("Top up: customer paid");
    $("gift-pay").disabled = card.status !== "active" || card.balance === "0.00" || !till().state.lines.length;
    $("gift-rules").textContent = usable ? t("The chain's minimum load and maximum balance apply.") : "";
    $("gift-amount").value = "";
    $("gift-amount").disabled = !usable;
    fieldError("");
    $("gift-panel").hidden = false;
    (usable ? $("gift-amount") : $("gift-close")).focus();
  }

  function close() {
    gift.card = null;
    $("gift-panel").hidden = true;
    $("scan").focus();
  }

  /** Sell or top up: its own transaction, once per key while the amount is the same (a retry never loads twice). */
  async function sell(event) {
    event.preventDefault();
    const amount = amountTyped();
    if (!amount) return fieldError(t("Type the amount the customer pays, like 25.00."));
    const body = JSON.stringify({ number: gift.card.number, amount });
    if (gift.sellBody !== body) Object.assign(gift, { sellKey: till().uuid(), sellBody: body });
    try {
      const { data } = await till().api("POST", `gift-cards/${gift.card.number}/load/`, { amount },
        { "Idempotency-Key": gift.sellKey });
      const sold = gift.card.status === "issued";
      gift.sellBody = null;
      close();
      const taken = sold
        ? t("Gift card {0} sold: take {1} from the customer.", data.number, till().withCurrency(amount))
        : t("Gift card {0} topped up: take {1} from the customer.", data.number, till().withCurrency(amount));
      const holds = data.expires_on
        ? t("It now holds {0}, valid until {1}.", till().withCurrency(data.balance), data.expires_on)
        : t("It now holds {0}.", till().withCurrency(data.balance));
      till().showInfo(`${taken} ${holds}`);
    } catch (error) {
      fieldError(error.message);
    }
  }

  // --- paying the sale -----------------------------------------------------------------------

  const due = () => (gift.quote ? gift.quote.total_due : "0.00");
  const paidCents = (except) =>
    gift.payments.filter((p) => p.number !== except).reduce((sum, p) => sum + till().cents(p.amount), 0);

  /** Add a card to the payments: the amount typed, else as much as it holds up to what is still due. */
  async function pay(card, typed) {
    const left = till().cents(due()) - paidCents(card.number);
    const amount = typed || till().fromCents(Math.min(till().cents(card.balance), Math.max(left, 0)));
    if (till().cents(amount) === 0) return till().showError(t("Nothing is left to pay with a gift card."));
    const payments = [...gift.payments.filter((p) => p.number !== card.number), { number: card.number, amount }];
    try {
      const { data } = await till().api("POST", "checkout/quote/", { ...saleWith(payments) });
      gift.payments = payments;
      close();
      till().showInfo(t("Gift card {0} pays {1}; rest to pay {2}.", card.number, till().withCurrency(amount),
        till().withCurrency(data.due_after_gift_cards)));
      till().scheduleQuote();
    } catch (error) {
      if ($("gift-panel").hidden) till().showError(t("Gift card {0}: {1}", card.number, error.message));
      else fieldError(error.message);
    }
  }

  function saleWith(payments) {
    const body = { card_number: till().state.card ? till().state.card.number : null,
      lines: till().state.lines.map((ln) => ({ ...ln })) };
    if (till().state.coupons.length) body.coupons = [...till().state.coupons];
    return { ...body, gift_card_payments: payments.map((p) => ({ ...p })) };
  }

  function render() {
    const list = $("gift-pay-list");
    list.replaceChildren();
    const byNumber = Object.fromEntries(((gift.quote && gift.quote.gift_card_payments) || []).map((p) => [p.number, p]));
    for (const p of gift.payments) {
      const quoted = byNumber[p.number];
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.append(t("Gift card") + " ", Object.assign(document.createElement("span"), { className: "mono", textContent: p.number }));
      if (quoted) label.append(t(" · left {0}", quoted.balance_after));
      const amount = Object.assign(document.createElement("strong"), { textContent: `−${p.amount}` });
      const remove = Object.assign(document.createElement("button"), {
        type: "button", className: "btn btn-small", textContent: t("Remove"),
      });
      remove.addEventListener("click", () => {
        gift.payments = gift.payments.filter((x) => x.number !== p.number);
        till().scheduleQuote();
        $("scan").focus();
      });
      item.append(label, amount, remove);
      list.append(item);
    }
    list.hidden = !gift.payments.length;
    const rest = gift.quote && gift.quote.due_after_gift_cards;
    $("gift-rest").hidden = !rest;
    $("gift-rest-amount").textContent = rest ? till().withCurrency(rest) : "";
  }

  $("gift-panel").addEventListener("submit", sell);
  $("gift-close").addEventListener("click", close);
  $("gift-pay").addEventListener("click", () => pay(gift.card, amountTyped()));
  $("gift-pay-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("gift-pay-number").value.trim();
    $("gift-pay-number").value = "";
    if (!number) return;
    if (!till().state.lines.length) return till().showError(t("Scan the goods first, then the gift card that pays."));
    try {
      const { data } = await till().api("GET", `gift-cards/${number}/`);
      if (data.status !== "active") return open(data); // says why it cannot pay
      await pay(data, null);
    } catch (error) {
      till().showError(error.status === 404 ? t("Gift card {0} is not known here.", number) : error.message);
    }
    $("scan").focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("gift-panel").hidden) close();
    // Ctrl+G ("gift"): F10 parks the sale (issue 17); a scanned 29… number opens the same panel.
    if (event.ctrlKey && (event.key === "g" || event.key === "G")) {
      event.preventDefault();
      $("gift-pay-number").focus();
    }
  });

  window.posGiftCards = {
    scanned,
    saleBody: () => (gift.payments.length ? { gift_card_payments: gift.payments.map((p) => ({ ...p })) } : {}),
    quoted(q) {
      gift.quote = q;
      render();
    },
    receiptRows(r, row) {
      return (r.gift_card_payments || [])
        .flatMap((p) => row(t("Gift card {0} (left {1})", p.number, p.balance_after), `−${p.amount}`))
        .concat(r.gift_card_payments ? row(t("Paid otherwise"), till().withCurrency(r.due_after_gift_cards), "grand") : []);
    },
    refundLines(d, el) {
      if (!d.gift_card_refunds) return [];
      return [
        ...d.gift_card_refunds.map((g) => el("p", { class: "gift-refund", text: t("Back onto gift card {0}: {1}", g.number, g.amount) })),
        el("p", { class: "gift-refund" }, t("Cash to hand back:") + " ", el("strong", { id: "refund-cash", text: till().withCurrency(d.cash_refunded) })),
      ];
    },
    reset() {
      Object.assign(gift, { card: null, payments: [], quote: null });
      $("gift-panel").hidden = true;
      render();
    },
  };
})();
