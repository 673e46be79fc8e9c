-- Sessions are stored under their login method's shown id, which is the application's own id
-- when it mapped one: the user a session marks active is found through that mapping, so that
-- sign-ins (which record gatehouse's id of the primary user) and sessions count one user.
CREATE OR REPLACE FUNCTION sessions_mark_user_active() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_last_active (app_id, user_id, last_active_time)
    VALUES (
        NEW.app_id,
        COALESCE(
            (SELECT primary_user_id FROM users WHERE app_id = NEW.app_id AND user_id = COALESCE(
                (SELECT supertokens_user_id FROM userid_mapping
                 WHERE app_id = NEW.app_id AND external_user_id = NEW.user_id),
                NEW.user_id)),
            NEW.user_id),
        (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)
    ON CONFLICT (app_id, user_id) DO UPDATE SET last_active_time = EXCLUDED.last_active_time;
    RETURN NULL;
END
$$;
