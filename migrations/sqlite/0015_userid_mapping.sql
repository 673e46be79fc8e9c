-- User id mapping: the application's own id for a user, which answers show instead of
-- gatehouse's and which sessions, metadata, roles and verified emails are kept under.
CREATE TABLE userid_mapping (
    app_id VARCHAR(64) NOT NULL,
    supertokens_user_id VARCHAR(128) NOT NULL,
    external_user_id VARCHAR(128) NOT NULL,
    external_user_id_info TEXT,
    PRIMARY KEY (app_id, supertokens_user_id),
    UNIQUE (app_id, external_user_id),
    FOREIGN KEY (app_id, supertokens_user_id) REFERENCES users (app_id, user_id) ON DELETE CASCADE
);
