CREATE TABLE "model_exchanges" (
	"run_id" text NOT NULL,
	"task_id" text NOT NULL,
	"step" integer NOT NULL,
	"after_seq" integer NOT NULL,
	"exchange" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_exchanges_run_id_step_pk" PRIMARY KEY("run_id","step")
);
--> statement-breakpoint
ALTER TABLE "model_exchanges" ADD CONSTRAINT "model_exchanges_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_exchanges" ADD CONSTRAINT "model_exchanges_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "model_exchanges_task_idx" ON "model_exchanges" USING btree ("task_id");