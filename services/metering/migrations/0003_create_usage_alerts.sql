CREATE TABLE "usage_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"metric" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"threshold_percent" integer NOT NULL,
	"quota" numeric NOT NULL,
	"used" numeric NOT NULL,
	"crossed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_alerts_once_per_period_key" UNIQUE("tenant_id","metric","period_start","threshold_percent"),
	CONSTRAINT "usage_alerts_threshold_check" CHECK ("usage_alerts"."threshold_percent" between 1 and 100),
	CONSTRAINT "usage_alerts_figures_check" CHECK ("usage_alerts"."quota" >= 0 and "usage_alerts"."used" >= 0)
);
--> statement-breakpoint
CREATE INDEX "usage_alerts_tenant_crossed_at_idx" ON "usage_alerts" USING btree ("tenant_id","crossed_at");