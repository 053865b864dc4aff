package io.bertstream.serde;

/**
 * A schema registry request that failed: unreachable (status 0), or answered with an HTTP error. Only a 404 says
 * something about the data (a schema id or subject the registry does not know); every other failure — no answer,
 * a timeout, 5xx, 429, 401 / 403 — is a fault of the infrastructure that says nothing about the record at hand.
 */
public class RegistryException extends RuntimeException {

    private final int status;
    private final int errorCode;

    public RegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** HTTP status, or 0 when no answer came. */
    public int status() {
        return status;
    }

    /** The registry's {@code error_code} (e.g. 40403 schema not found), or 0 when none. */
    public int errorCode() {
        return errorCode;
    }

    /** True when the registry knows no such schema or subject. */
    public boolean notFound() {
        return status == 404;
    }

    /**
     * True unless the registry answered "not found": the registry is unreachable, slow, failing or refuses our
     * credentials, so whatever asked should be retried later, not judged.
     */
    public boolean infrastructure() {
        return !notFound();
    }

    /** A schema the registry refuses to register (409 incompatible, 422 invalid): retrying will not help. */
    public boolean refused() {
        return status == 409 || status == 422;
    }
}
