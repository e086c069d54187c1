DROP TABLE IF EXISTS "webhook_outbox";
