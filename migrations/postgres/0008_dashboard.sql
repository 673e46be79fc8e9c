-- The user management dashboard's own users (not the application's users), their
-- sessions, and failed sign-ins, which throttle further attempts per email on every
-- instance.
CREATE TABLE dashboard_users (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    user_id CHAR(36) NOT NULL,
    email VARCHAR(256) NOT NULL,
    password_hash VARCHAR(256) NOT NULL,
    time_joined BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id),
    UNIQUE (app_id, email)
);
CREATE INDEX dashboard_users_time_joined_index ON dashboard_users (app_id, time_joined);

CREATE TABLE dashboard_sessions (
    app_id VARCHAR(64) NOT NULL,
    session_id CHAR(36) NOT NULL,
    user_id CHAR(36) NOT NULL,
    time_created BIGINT NOT NULL,
    expiry BIGINT NOT NULL,
    PRIMARY KEY (app_id, session_id),
    FOREIGN KEY (app_id, user_id) REFERENCES dashboard_users (app_id, user_id) ON DELETE CASCADE
);
CREATE INDEX dashboard_sessions_user_index ON dashboard_sessions (app_id, user_id);
CREATE INDEX dashboard_sessions_expiry_index ON dashboard_sessions (expiry);

CREATE TABLE dashboard_failed_signins (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    email VARCHAR(256) NOT NULL,
    attempted_at BIGINT NOT NULL
);
CREATE INDEX dashboard_failed_signins_email_index ON dashboard_failed_signins (app_id, email, attempted_at);
CREATE INDEX dashboard_failed_signins_time_index ON dashboard_failed_signins (attempted_at);
