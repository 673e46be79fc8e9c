-- A session created or refreshed marks its user active (GET /users/count/active), in the
-- statement that writes the session rather than in a round trip and commit of its own. The
-- user is the session's primary user, or the session's user id when gatehouse does not know
-- it; the time is the database's clock, which every instance shares.
CREATE FUNCTION sessions_mark_user_active() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_last_active (app_id, user_id, last_active_time)
    VALUES (
        NEW.app_id,
        COALESCE(
            (SELECT primary_user_id FROM users WHERE app_id = NEW.app_id AND user_id = NEW.user_id),
            NEW.user_id),
        (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)
    ON CONFLICT (app_id, user_id) DO UPDATE SET last_active_time = EXCLUDED.last_active_time;
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_mark_user_active
    AFTER INSERT OR UPDATE OF refresh_token_hash_2 ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_mark_user_active();
