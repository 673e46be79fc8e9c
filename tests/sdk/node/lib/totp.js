"use strict";
// Shared helpers for the TOTP stage: an authenticator app in the test (codes
// computed with the `otpauth` package from a device's base32 secret), and the
// one device call the SDK has no function for (import).
//
// Codes are RFC 6238 (HMAC-SHA1, 6 digits, 30 s). The devices use skew 1, so
// the core accepts the codes of the previous, current and next step. A code is
// computed right before the call that uses it, and preferably for the current
// or the next step: both are still accepted if a step boundary passes between
// computing and checking. A code accepted once is refused again (replay), so
// each authenticator remembers the codes it has handed out as valid.

const OTPAuth = require("otpauth");
const TotpRecipe = require("supertokens-node/lib/build/recipe/totp/recipe").default;

const PERIOD = 30;
const SKEW = 1;

class Authenticator {
    constructor(secret, period = PERIOD) {
        this.secret = secret;
        this.period = period;
        this.totp = new OTPAuth.TOTP({
            secret: OTPAuth.Secret.fromBase32(secret),
            algorithm: "SHA1",
            digits: 6,
            period,
        });
        this.handedOut = new Set();
    }

    // The code of the step `offset` steps away from now.
    at(offset) {
        return this.totp.generate({ timestamp: Date.now() + offset * this.period * 1000 });
    }

    // A code the core accepts now and has not been given yet: the current
    // step's, else the next one's, else (last resort) the previous one's.
    fresh() {
        for (const offset of [0, 1, -1]) {
            const code = this.at(offset);
            if (!this.handedOut.has(code)) {
                this.handedOut.add(code);
                return code;
            }
        }
        throw new Error("every code of the window has been used already");
    }

    // Forget a code handed out by fresh() that the core did not take (e.g. a
    // LIMIT_REACHED_ERROR answer), so it can be handed out again.
    giveBack(code) {
        this.handedOut.delete(code);
    }

    // Six digits that are no code of this device anywhere near now.
    wrong() {
        const near = new Set([-3, -2, -1, 0, 1, 2, 3].map((o) => this.at(o)));
        let n = (Number(this.at(0)) + 500000) % 1000000;
        let code = String(n).padStart(6, "0");
        while (near.has(code)) {
            n = (n + 1) % 1000000;
            code = String(n).padStart(6, "0");
        }
        return code;
    }
}

// A new random 160-bit secret, base32 (as an authenticator app exports it).
function randomSecret() {
    return new OTPAuth.Secret({ size: 20 }).base32;
}

// POST /recipe/totp/device/import through the TOTP recipe's own querier
// (rid: totp): supertokens-node 24 has no function for it. Answers the core's
// JSON.
function importDevice(userId, secretKey, deviceName, skew = SKEW, period = PERIOD) {
    return TotpRecipe.getInstanceOrThrowError().querier.sendPostRequest(
        "/recipe/totp/device/import",
        { userId, deviceName, skew, period, secretKey },
        {},
    );
}

// A recorded body as it goes on the wire (keys with undefined dropped).
function wire(body) {
    return JSON.parse(JSON.stringify(body));
}

const BASE32_SECRET_RE = /^[A-Z2-7]{32}$/;

module.exports = { Authenticator, randomSecret, importDevice, wire, PERIOD, SKEW, BASE32_SECRET_RE };
