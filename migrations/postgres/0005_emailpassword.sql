-- The password of each email-password login method, and password reset tokens (only
-- their SHA-256 is stored).
CREATE TABLE emailpassword_users (
    app_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    password_hash VARCHAR(256) NOT NULL,
    PRIMARY KEY (app_id, user_id),
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, user_id) ON DELETE CASCADE
);

CREATE TABLE emailpassword_reset_tokens (
    app_id VARCHAR(64) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    email VARCHAR(256) NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, token_hash),
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, user_id) ON DELETE CASCADE
);
CREATE INDEX emailpassword_reset_tokens_user_index ON emailpassword_reset_tokens (app_id, user_id);
CREATE INDEX emailpassword_reset_tokens_expiry_index ON emailpassword_reset_tokens (expires_at);
