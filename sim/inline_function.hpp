#pragma once
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace s2sim {

/// A move-only `void(Args...)` callable stored inline, never on the heap.
/// Written by hand because std::function allocates for captures larger than
/// two pointers and std::move_only_function is C++23; the event loop and the
/// network must not allocate per event or per message. A capture that does not
/// fit in `Capacity` bytes fails to compile.
template <std::size_t Capacity, class... Args>
class InlineCallable {
public:
    InlineCallable() = default;

    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineCallable>>>
    InlineCallable(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
        emplace(std::forward<F>(f));
    }

    /// Replaces the callable with `f`, constructed in place.
    template <class F>
    void emplace(F&& f) {
        reset();
        emplace_into_empty(std::forward<F>(f));
    }
    /// emplace() without looking for a callable to destroy first. Precondition: empty.
    template <class F>
    void emplace_into_empty(F&& f) {
        using Fn = std::decay_t<F>;
        static_assert(std::is_invocable_v<Fn&, Args...>, "callable has the wrong signature");
        static_assert(sizeof(Fn) <= Capacity, "capture too large for an inline callable: capture less or an index");
        static_assert(alignof(Fn) <= alignof(std::max_align_t), "over-aligned capture");
        static_assert(std::is_nothrow_move_constructible_v<Fn>, "capture must be nothrow movable");
        ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
        ops_ = &ops_for<Fn>;
    }

    InlineCallable(InlineCallable&& other) noexcept { take(std::move(other)); }
    InlineCallable& operator=(InlineCallable&& other) noexcept {
        if (this != &other) {
            reset();
            take(std::move(other));
        }
        return *this;
    }
    InlineCallable(const InlineCallable&) = delete;
    InlineCallable& operator=(const InlineCallable&) = delete;
    ~InlineCallable() { reset(); }

    /// Calls the stored callable. Precondition: not empty.
    void operator()(Args... args) { ops_->invoke(storage_, std::forward<Args>(args)...); }
    explicit operator bool() const { return ops_ != nullptr; }

    /// The function that calls the stored callable given target(): for a caller that calls it
    /// often and keeps the pair (the kernel's timers), one load less per call than operator().
    /// Both stay valid until the callable is replaced, reset or moved. Precondition: not empty.
    using Invoker = void (*)(void*, Args&&...);
    [[nodiscard]] Invoker invoker() const { return ops_->invoke; }
    [[nodiscard]] void* target() { return storage_; }

    void reset() {
        if (ops_ != nullptr) reset_nonempty();
    }
    /// reset() without the test. Precondition: not empty.
    void reset_nonempty() {
        if (ops_->destroy != nullptr) ops_->destroy(storage_);
        ops_ = nullptr;
    }

private:
    struct Ops {
        void (*invoke)(void*, Args&&...);
        void (*move_to)(void* from, void* to);
        void (*destroy)(void*);
    };
    template <class Fn>
    static constexpr Ops ops_for{
        [](void* p, Args&&... args) { (*static_cast<Fn*>(p))(std::forward<Args>(args)...); },
        // Trivially copyable captures (the usual [this, index]) move as bytes, without a call.
        std::is_trivially_copyable_v<Fn> ? nullptr : +[](void* from, void* to) {
            ::new (to) Fn(std::move(*static_cast<Fn*>(from)));
            static_cast<Fn*>(from)->~Fn();
        },
        // Trivially destructible captures (the usual [this, index]) need no call at all.
        std::is_trivially_destructible_v<Fn> ? nullptr : +[](void* p) { static_cast<Fn*>(p)->~Fn(); },
    };

    void take(InlineCallable&& other) {
        if (other.ops_ != nullptr) {
            if (other.ops_->move_to == nullptr) {
                std::memcpy(storage_, other.storage_, Capacity);
            } else {
                other.ops_->move_to(other.storage_, storage_);
            }
            ops_ = other.ops_;
            other.ops_ = nullptr;
        }
    }

    alignas(std::max_align_t) unsigned char storage_[Capacity];
    const Ops* ops_ = nullptr;
};

/// A `void()` InlineCallable: an event handler.
template <std::size_t Capacity>
using InlineFunction = InlineCallable<Capacity>;

}  // namespace s2sim
