-- One JSON object per user of an app, as text. Metadata is app-wide (not per tenant) and
-- may be kept for any user id, including ids the application maps to its own.
CREATE TABLE user_metadata (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    user_id VARCHAR(128) NOT NULL,
    user_metadata TEXT NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
