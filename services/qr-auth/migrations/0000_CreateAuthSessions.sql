CREATE TABLE "auth_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"requester_ip" varchar(64),
	"requester_user_agent" varchar(512),
	"user_id" uuid,
	"poll_token_hash" varchar(64) NOT NULL,
	"code_hash" varchar(64) NOT NULL,
	"code_version" integer DEFAULT 0 NOT NULL,
	"code_expires_at" timestamp with time zone NOT NULL,
	"poll_interval" integer NOT NULL,
	"last_polled_at" timestamp with time zone,
	"scanned_at" timestamp with time zone,
	"approved_at" timestamp with time zone,
	"rejected_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "auth_sessions_status_check" CHECK ("auth_sessions"."status" in ('pending', 'scanned', 'approved', 'rejected'))
);
--> statement-breakpoint
CREATE INDEX "idx_auth_sessions_expires_at" ON "auth_sessions" USING btree ("expires_at");