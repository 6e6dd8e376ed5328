import { useEffect } from "react";
import { onRateLimited } from "@/api/client";
import { waitText } from "@/api/problem";
import { useToast } from "@/ui/Toast";

/** One clear toast when the API's rate limit stops requests, not one per failed request (a screen may make
 *  several at once); another only once the announced wait is over. */
export function RateLimitToasts() {
  const toast = useToast();
  useEffect(() => {
    let quietUntil = 0;
    return onRateLimited((retryAfter) => {
      const now = Date.now();
      if (now < quietUntil) return;
      quietUntil = now + Math.max(retryAfter ?? 10, 1) * 1000;
      toast({
        kind: "error",
        message: "Too many requests",
        detail:
          retryAfter === null
            ? "The server is limiting requests from your account. Wait a moment, then try again."
            : `The server is limiting requests from your account. Try again ${waitText(retryAfter)}.`,
      });
    });
  }, [toast]);
  return null;
}
