CREATE TABLE "clients" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"plan" text DEFAULT 'free' NOT NULL,
	"rate_limit_max" integer,
	"rate_limit_window_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"api_key" text,
	"api_key_hash" text,
	CONSTRAINT "clients_status_check" CHECK ("clients"."status" in ('active', 'suspended')),
	CONSTRAINT "clients_plan_check" CHECK ("clients"."plan" in ('free', 'pro', 'enterprise')),
	CONSTRAINT "clients_rate_limit_check" CHECK (("clients"."rate_limit_max" is null) = ("clients"."rate_limit_window_ms" is null) and coalesce("clients"."rate_limit_max", 1) > 0 and coalesce("clients"."rate_limit_window_ms", 1000) >= 1000)
);
