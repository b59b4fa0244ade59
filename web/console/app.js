// The Licentia management console: the license owner's pages. Plain
// JavaScript, no build step, nothing loaded from elsewhere (the server's
// Content-Security-Policy allows only this origin's files). Every call
// goes to /console/api with the session cookie and, for changes, the
// session's CSRF token (docs/console.md).

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const statusLine = document.getElementById("status");
let csrf = "";
let account = null;

// --- Talking to the server -------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = {"X-Licentia-CSRF": csrf || "console"};
  const init = {method, headers, credentials: "same-origin"};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch("/console/api/" + path, init);
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || "INTERNAL",
                       err.message || "The server did not answer.");
  }
  return data;
}

// --- Building pages --------------------------------------------------

// el("p", {class: "x"}, "text", child, ...): text is never parsed as HTML.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) {
      node.addEventListener(k.slice(2), v);
    } else {
      node.setAttribute(k, v === true ? "" : v);
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// Counts what was shown: a check that answers after something else was
// shown meanwhile (a session check after a sign-in the person made while
// it was on its way) must not replace it.
let shown = 0;

function show(...nodes) {
  shown++;
  main.replaceChildren(...nodes.flat().filter(n => n !== null && n !== undefined && n !== false));
  main.focus();
}

function say(text) {
  statusLine.textContent = text;
}

function when(t) {
  if (t === null || t === undefined) return "—";
  return new Date(t * 1000).toISOString().slice(0, 10);
}

function whenTime(t) {
  if (!t) return "never";
  return new Date(t * 1000).toISOString().replace("T", " ").slice(0, 16) +
         " UTC";
}

function stateLabel(state) {
  return {active: "Active", expired: "Expired", blocked: "Blocked"}[state] ||
         state;
}

// A form whose submit runs `action(values)`; its errors show inside it.
function form(id, title, fields, submitLabel, action) {
  const error = el("p", {class: "error", role: "alert", id: id + "-error"});
  const inputs = fields.map(f => el("input", {
    id: id + "-" + f.name, name: f.name, type: f.type || "text",
    autocomplete: f.autocomplete || "off", required: f.required !== false,
    minlength: f.minlength, spellcheck: "false",
  }));
  const node = el("form", {id, "aria-labelledby": id + "-title", novalidate: true},
    el("h2", {id: id + "-title"}, title),
    fields.map((f, i) => el("div", {class: "field"},
      el("label", {for: inputs[i].id}, f.label), inputs[i],
      f.hint ? el("small", {}, f.hint) : null)),
    error,
    el("button", {type: "submit"}, submitLabel));
  node.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const values = {};
    for (const input of inputs) values[input.name] = input.value;
    const button = node.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await action(values, node);
    } catch (e) {
      error.textContent = e.message + (e.code ? " [" + e.code + "]" : "");
    } finally {
      button.disabled = false;
    }
  });
  return node;
}

// --- Signing in ------------------------------------------------------

function signInPage() {
  nav.hidden = true;
  const started = (data) => {
    csrf = data.csrf_token;
    account = data.account;
    location.hash = "#devices";
    route();
  };
  show(
    el("h1", {}, "Licentia management console"),
    el("p", {}, "See the devices that use your licenses, send them a " +
                "reserve code and free their seats."),
    el("div", {class: "columns"},
      form("signin", "Sign in", [
        {name: "email", label: "Email address", type: "email",
         autocomplete: "username"},
        {name: "password", label: "Password", type: "password",
         autocomplete: "current-password"},
      ], "Sign in", async (v) => {
        try {
          started(await api("POST", "signin", v));
        } catch (e) {
          if (e.code !== "SECOND_FACTOR_REQUIRED") throw e;
          secondStep(v);
        }
      }),
      form("signup", "Create an account", [
        {name: "email", label: "Email address", type: "email",
         autocomplete: "username"},
        {name: "password", label: "Password", type: "password",
         autocomplete: "new-password", minlength: 10,
         hint: "At least 10 characters."},
      ], "Create account", async (v) => started(await api("POST", "signup", v)))));
}

// The sign-in's second step: the code from the authenticator application,
// or a recovery code (which has letters and a dash).
function secondStep(credentials) {
  show(
    el("h1", {}, "Two-step sign-in"),
    form("second-step", "Enter your code", [
      {name: "code", label: "Code from your authenticator application",
       autocomplete: "one-time-code",
       hint: "Lost your phone? Enter one of your recovery codes instead."},
    ], "Sign in", async (v) => {
      const code = v.code.trim();
      const body = {...credentials};
      if (/^[0-9 ]+$/.test(code)) {
        body.totp_code = code;
      } else {
        body.recovery_code = code;
      }
      const data = await api("POST", "signin", body);
      csrf = data.csrf_token;
      account = data.account;
      location.hash = "#devices";
      route();
    }));
  document.getElementById("second-step-code").focus();
}

// --- Devices ---------------------------------------------------------

function licenseSummary(l) {
  const parts = [l.masked_code, " · ", l.product, " · ", stateLabel(l.state)];
  if (l.expires_at) {
    parts.push(" · ends ", when(l.expires_at), " (", l.days_left, " days left)");
  }
  return parts.join("");
}

const actionNames = {
  activate: "Send the license",
  set_reserve: "Set the reserve",
  remove_reserve: "Remove the reserve",
};

function actionLine(a) {
  const what = actionNames[a.kind] + (a.masked_code ? " " + a.masked_code : "");
  const state = a.state === "pending" ? "waiting for the device"
              : a.state === "done" ? "done " + whenTime(a.done_at)
              : "refused by the device: " + a.error.message + " [" + a.error.code + "]";
  return el("li", {class: "action-" + a.state}, what, " — ", state);
}

// The form that sends one of the account's licenses to device `d`, as its
// license or as its reserve.
function sendForm(d, licenses) {
  if (licenses.length === 0) return null;
  const id = "send-" + d.id;
  const error = el("p", {class: "error", role: "alert", id: id + "-error"});
  const select = el("select", {id: id + "-code", name: "code_id"},
    licenses.map(l => el("option", {value: String(l.id)},
      l.masked_code + " (" + l.product + ")")));
  const send = (kind) => async () => {
    error.textContent = "";
    try {
      await api("POST", "devices/" + d.id + "/actions",
                {kind, code_id: Number(select.value)});
      say("Sent. The device takes it up at its next contact.");
      devicesPage();
    } catch (e) {
      error.textContent = e.message + " [" + e.code + "]";
    }
  };
  return el("div", {class: "send"},
    el("label", {for: select.id}, "One of your licenses"), select,
    el("div", {class: "actions"},
      el("button", {type: "button", id: id + "-reserve", onclick: send("set_reserve")},
         "Set as the reserve"),
      el("button", {type: "button", id: id + "-activate", onclick: send("activate")},
         "Send as the license")),
    error);
}

function deviceCard(d, mine) {
  const licenses = d.licenses.length === 0
    ? [el("p", {}, "No license on this device.")]
    : d.licenses.map(l => el("div", {class: "license"},
        el("p", {}, el("strong", {}, "License: "), licenseSummary(l)),
        l.expiring_soon
          ? el("p", {class: "warn"}, "Ends in " + l.days_left + " days. " +
               "Add a reserve code so that this device keeps working.")
          : null,
        el("p", {}, el("strong", {}, "Reserve code: "),
          l.reserve ? licenseSummary(l.reserve) + " — takes over when the " +
                      "license ends"
                    : "none",
          l.reserve ? el("button", {type: "button", class: "link",
            onclick: async () => {
              try {
                await api("POST", "devices/" + d.id + "/actions",
                          {kind: "remove_reserve", code_id: l.reserve.id});
                say("The device removes its reserve at its next contact.");
                devicesPage();
              } catch (e) {
                say(e.message);
              }
            }}, "Remove") : null)));
  const disconnect = (free) => async () => {
    const what = free ? "Disconnect this device and free its seats?"
                      : "Disconnect this device?";
    if (!confirm(what)) return;
    try {
      await api("POST", "devices/" + d.id + "/disconnect", {free_seats: free});
      say("Disconnected " + d.name + ".");
      devicesPage();
    } catch (e) {
      say(e.message);
    }
  };
  return el("article", {class: "card", "aria-label": d.name},
    el("h3", {}, d.name || "Unnamed device"),
    el("p", {class: "meta"}, [d.os, d.app_version && "version " + d.app_version,
                               "last contact " + whenTime(d.last_contact_at)]
                              .filter(Boolean).join(" · ")),
    licenses,
    sendForm(d, mine),
    d.actions.length
      ? el("section", {}, el("h4", {}, "Sent from the console"),
           el("ul", {class: "action-list"}, d.actions.map(actionLine)))
      : null,
    el("div", {class: "actions"},
      el("button", {type: "button", onclick: disconnect(false)}, "Disconnect"),
      el("button", {type: "button", class: "danger", onclick: disconnect(true)},
         "Disconnect and free seats")));
}

async function connectDevice() {
  const box = document.getElementById("connect-box");
  try {
    const c = await api("POST", "connect-codes", {});
    box.replaceChildren(
      el("p", {}, "On the device, run:"),
      el("pre", {}, el("code", {id: "connect-command"}, "licentia connect " + c.code)),
      el("p", {}, "or enter ", el("strong", {id: "connect-code"}, c.code),
         " in the application's Connect window. The code works once, " +
         "until " + whenTime(c.expires_at) + "."),
      el("button", {type: "button", onclick: devicesPage}, "Refresh the list"));
    box.hidden = false;
    say("Connection code " + c.code + " is ready.");
  } catch (e) {
    say(e.message);
  }
}

async function devicesPage() {
  const [{devices}, {licenses}] =
      await Promise.all([api("GET", "devices"), api("GET", "licenses")]);
  const sendable = licenses.filter(l => l.state === "active");
  show(
    el("h1", {}, "Devices"),
    el("div", {class: "actions"},
      el("button", {type: "button", id: "connect-device", onclick: connectDevice},
         "Connect a device")),
    el("div", {id: "connect-box", class: "card", hidden: true}),
    devices.length === 0
      ? el("p", {id: "no-devices"}, "No device is connected to this account yet.")
      : el("div", {class: "cards", id: "device-list"},
           devices.map(d => deviceCard(d, sendable))));
}

// --- Licenses --------------------------------------------------------

function licenseCard(l) {
  const viewed = el("p", {class: "code", "aria-live": "polite"});
  const everywhereResults = el("ul", {class: "results", "aria-live": "polite",
                                      id: "everywhere-" + l.id + "-results"});
  const everywhere = async () => {
    try {
      const {devices} = await api("POST", "licenses/" + l.id + "/reserve-everywhere", {});
      everywhereResults.replaceChildren(...(devices.length ? devices.map(r =>
        el("li", {}, (r.name || "Unnamed device") + ": ",
           r.result === "queued" ? "set — the device takes it up at its next contact"
                                 : "refused: " + r.error.message + " [" + r.error.code + "]"))
        : [el("li", {}, "No device is connected to this account.")]));
    } catch (e) {
      everywhereResults.replaceChildren(el("li", {}, e.message));
    }
  };
  const viewCode = async () => {
    try {
      const {code} = await api("GET", "licenses/" + l.id + "/code");
      viewed.textContent = code;
    } catch (e) {
      viewed.textContent = e.message;
    }
  };
  const invitations = l.invitations ? el("section", {class: "invitations"},
    el("h4", {}, "People invited to use it"),
    l.invitations.length === 0 ? el("p", {}, "Nobody yet.") :
      el("ul", {}, l.invitations.map(i => el("li", {},
        i.email, " · ", i.state,
        i.state === "pending"
          ? [" · send them this link: ",
             el("code", {}, location.origin + "/console#licenses")]
          : null,
        (i.state === "pending" || i.state === "accepted")
          ? el("button", {type: "button", class: "link", onclick: async () => {
              try {
                await api("POST", "invitations/" + i.id + "/revoke", {});
                say("Revoked the invitation of " + i.email + ".");
                licensesPage();
              } catch (e) {
                say(e.message);
              }
            }}, "Revoke")
          : null))),
    form("invite-" + l.id, "Invite someone", [
      {name: "email", label: "Their email address", type: "email",
       hint: "They accept it in their own console, then use the license " +
             "on the devices they connect."},
    ], "Invite", async (v) => {
      await api("POST", "licenses/" + l.id + "/invitations", v);
      say("Invited " + v.email + ".");
      licensesPage();
    })) : null;
  return el("article", {class: "card", "aria-label": l.masked_code},
    el("h3", {}, l.masked_code),
    el("dl", {},
      el("dt", {}, "Product"), el("dd", {}, l.product + " (" + l.edition + ")"),
      el("dt", {}, "Type"), el("dd", {}, l.license_type +
        (l.term_days ? ", " + l.term_days + " days" : "")),
      el("dt", {}, "State"), el("dd", {}, stateLabel(l.state)),
      el("dt", {}, "Ends"), el("dd", {}, l.expires_at
        ? when(l.expires_at) + " (" + l.days_left + " days left)"
        : "counted from the first activation"),
      el("dt", {}, "Devices"), el("dd", {}, l.seats_used + " of " +
        l.max_devices + " in use"),
      el("dt", {}, "Your role"), el("dd", {}, l.role === "administrator"
        ? "license administrator" : "member")),
    l.expiring_soon
      ? el("p", {class: "warn"}, "Ends in " + l.days_left + " days: add a " +
           "reserve code on its devices so that they keep working.")
      : null,
    l.devices.length
      ? el("ul", {class: "devices"}, l.devices.map(d => el("li", {},
          d.device_name || "Unnamed device", " · ", d.os, " · since ",
          when(d.activated_at), d.connected_to_you ? " · connected to you" : "")))
      : null,
    l.can_view_code
      ? el("div", {class: "actions"},
          el("button", {type: "button", onclick: viewCode}, "View the code"),
          viewed)
      : null,
    el("div", {class: "actions"},
      el("button", {type: "button", id: "everywhere-" + l.id, onclick: everywhere},
         "Use as the reserve on all my devices")),
    everywhereResults,
    invitations);
}

function invitationCard(i) {
  const decide = (verb) => async () => {
    try {
      await api("POST", "invitations/" + i.id + "/" + verb, {});
      say(verb === "accept" ? "Accepted." : "Declined.");
      licensesPage();
    } catch (e) {
      say(e.message);
    }
  };
  return el("article", {class: "card invitation", "aria-label": "Invitation from " + i.from},
    el("p", {}, el("strong", {}, i.from), " invites you to use ",
       i.license.masked_code, " (", i.license.product, ")."),
    el("div", {class: "actions"},
      el("button", {type: "button", onclick: decide("accept")}, "Accept"),
      el("button", {type: "button", class: "danger", onclick: decide("decline")},
         "Decline")));
}

async function licensesPage() {
  const [{licenses}, {invitations}] =
      await Promise.all([api("GET", "licenses"), api("GET", "invitations")]);
  show(
    el("h1", {}, "Licenses"),
    invitations.length
      ? el("section", {id: "invitations-to-you"},
          el("h2", {}, "Invitations to you"), invitations.map(invitationCard))
      : null,
    form("add-code", "Add an activation code", [
      {name: "code", label: "Activation code",
       hint: "XXXXX-XXXXX-XXXXX-XXXXX, as you received it."},
    ], "Add to my account", async (v) => {
      const added = await api("POST", "codes", v);
      say("Added " + added.masked_code + ".");
      licensesPage();
    }),
    licenses.length === 0
      ? el("p", {id: "no-licenses"}, "No license in this account yet.")
      : el("div", {class: "cards", id: "license-list"}, licenses.map(licenseCard)));
}

// --- History ---------------------------------------------------------

async function historyPage() {
  const {events} = await api("GET", "events");
  show(
    el("h1", {}, "History"),
    events.length === 0
      ? el("p", {}, "Nothing has happened yet.")
      : el("table", {},
          el("caption", {}, "What happened to your licenses, newest first"),
          el("thead", {}, el("tr", {},
            el("th", {scope: "col"}, "When"), el("th", {scope: "col"}, "What"),
            el("th", {scope: "col"}, "License"), el("th", {scope: "col"}, "By"))),
          el("tbody", {}, events.map(e => el("tr", {},
            el("td", {}, whenTime(e.at)), el("td", {}, e.type),
            el("td", {}, e.code_id ? "#" + e.code_id : ""),
            el("td", {}, e.actor))))));
}

// --- Account ---------------------------------------------------------

async function secondFactorSection() {
  const {account: me} = await api("GET", "session");
  const box = el("section", {class: "card", id: "second-factor",
                             "aria-labelledby": "second-factor-title"},
    el("h2", {id: "second-factor-title"}, "Two-step sign-in"));
  if (me.second_factor) {
    box.append(
      el("p", {}, "On. Signing in asks for a code from your authenticator " +
                  "application. Recovery codes left: ",
         el("strong", {id: "recovery-left"}, String(me.recovery_codes_left)), "."),
      form("totp-off", "Turn it off", [
        {name: "password", label: "Your password", type: "password",
         autocomplete: "current-password"},
      ], "Turn off two-step sign-in", async (v) => {
        await api("POST", "second-factor/disable", v);
        say("Two-step sign-in is off.");
        accountPage();
      }));
    return box;
  }
  const start = async () => {
    const setup = await api("POST", "second-factor/setup", {});
    box.replaceChildren(
      el("h2", {id: "second-factor-title"}, "Two-step sign-in"),
      el("p", {}, "In your authenticator application, add an account with " +
                  "this setup key (time-based, 6 digits):"),
      el("p", {class: "code", id: "totp-secret"}, setup.secret),
      el("p", {}, el("a", {href: setup.otpauth_uri}, "Open in an authenticator application")),
      form("totp-on", "Then enter the code it shows", [
        {name: "code", label: "Code", autocomplete: "one-time-code"},
      ], "Turn on", async (v) => {
        const {recovery_codes} = await api("POST", "second-factor/enable", v);
        box.replaceChildren(
          el("h2", {id: "second-factor-title"}, "Two-step sign-in is on"),
          el("p", {}, "Keep these recovery codes somewhere safe. Each signs " +
                      "you in once if you lose your phone; they are not " +
                      "shown again."),
          el("ul", {id: "recovery-codes", class: "code"},
             recovery_codes.map(c => el("li", {}, c))),
          el("button", {type: "button", onclick: accountPage}, "Done"));
        say("Two-step sign-in is on.");
      }));
  };
  box.append(
    el("p", {}, "Off. Ask for a code from an authenticator application at " +
                "each sign-in, beside the password."),
    el("button", {type: "button", id: "totp-start", onclick: start},
       "Set up two-step sign-in"));
  return box;
}

async function accountPage() {
  const signOut = (everywhere) => async () => {
    await api("POST", everywhere ? "signout-everywhere" : "signout", {});
    csrf = "";
    account = null;
    location.hash = "";
    signInPage();
  };
  show(
    el("h1", {}, "Account"),
    el("p", {}, "Signed in as ", el("strong", {id: "account-email"}, account.email), "."),
    form("password", "Change the password", [
      {name: "current_password", label: "Current password", type: "password",
       autocomplete: "current-password"},
      {name: "new_password", label: "New password", type: "password",
       autocomplete: "new-password", minlength: 10,
       hint: "At least 10 characters. Every other session is signed out."},
    ], "Change the password", async (v, node) => {
      const data = await api("POST", "password", v);
      csrf = data.csrf_token;
      node.reset();
      say("The password was changed.");
    }),
    await secondFactorSection(),
    el("div", {class: "actions"},
      el("button", {type: "button", id: "sign-out", onclick: signOut(false)}, "Sign out"),
      el("button", {type: "button", onclick: signOut(true)},
         "Sign out everywhere")));
}

// --- Routing ---------------------------------------------------------

const pages = {
  "#devices": devicesPage,
  "#licenses": licensesPage,
  "#history": historyPage,
  "#account": accountPage,
};

async function route() {
  if (!account) {
    const seen = shown;
    try {
      const s = await api("GET", "session");
      if (shown !== seen) return;  // overtaken: what is shown now stands
      csrf = s.csrf_token;
      account = s.account;
    } catch (e) {
      if (shown !== seen) return;
      return signInPage();
    }
  }
  nav.hidden = false;
  const page = pages[location.hash] || devicesPage;
  for (const a of nav.querySelectorAll("a")) {
    if (a.getAttribute("href") === (location.hash || "#devices")) {
      a.setAttribute("aria-current", "page");
    } else {
      a.removeAttribute("aria-current");
    }
  }
  try {
    await page();
  } catch (e) {
    if (e.status === 401) {
      account = null;
      return signInPage();
    }
    show(el("h1", {}, "Something went wrong"), el("p", {role: "alert"}, e.message));
  }
}

window.addEventListener("hashchange", route);
route();
