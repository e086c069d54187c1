CREATE TABLE "verification_tokens" (
	"jti" text PRIMARY KEY NOT NULL,
	"client_id" uuid,
	"key_id" uuid,
	"user_id" text,
	"audience" text NOT NULL,
	"request_id" text,
	"issued_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "verification_tokens_client_issued_idx" ON "verification_tokens" USING btree ("client_id","issued_at");