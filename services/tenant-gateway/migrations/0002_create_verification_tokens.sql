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
ALTER TABLE "verification_tokens" ADD CONSTRAINT "verification_tokens_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verification_tokens" ADD CONSTRAINT "verification_tokens_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "verification_tokens_client_issued_idx" ON "verification_tokens" USING btree ("client_id","issued_at");