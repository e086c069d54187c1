ALTER TABLE "auth_sessions" ADD COLUMN "exchange_token" varchar(64);--> statement-breakpoint
ALTER TABLE "auth_sessions" ADD COLUMN "is_exchanged" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_auth_sessions_exchange_token" ON "auth_sessions" USING btree ("exchange_token") WHERE "auth_sessions"."exchange_token" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_auth_sessions_is_exchanged" ON "auth_sessions" USING btree ("is_exchanged");