#pragma once
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace s2sim::models {

/// A move-only `void(Args...)` callable stored inline, never on the heap: the
/// same idea as s2sim::InlineFunction (which only takes `void()`), for
/// callbacks that receive an argument, such as a flow's `on_done(bool ok)`.
/// A capture larger than `Capacity` bytes fails to compile.
template <std::size_t Capacity, class... Args>
class InlineCallback {
public:
    InlineCallback() = default;

    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineCallback>>>
    InlineCallback(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
        using Fn = std::decay_t<F>;
        static_assert(std::is_invocable_v<Fn&, Args...>, "callback has the wrong signature");
        static_assert(sizeof(Fn) <= Capacity, "capture too large for an inline callback: capture less or an index");
        static_assert(alignof(Fn) <= alignof(std::max_align_t), "over-aligned capture");
        static_assert(std::is_nothrow_move_constructible_v<Fn>, "capture must be nothrow movable");
        ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
        ops_ = &ops_for<Fn>;
    }

    InlineCallback(InlineCallback&& other) noexcept { take(std::move(other)); }
    InlineCallback& operator=(InlineCallback&& other) noexcept {
        if (this != &other) {
            reset();
            take(std::move(other));
        }
        return *this;
    }
    InlineCallback(const InlineCallback&) = delete;
    InlineCallback& operator=(const InlineCallback&) = delete;
    ~InlineCallback() { reset(); }

    /// Calls the stored callable. Precondition: not empty.
    void operator()(Args... args) { ops_->invoke(storage_, std::forward<Args>(args)...); }
    explicit operator bool() const { return ops_ != nullptr; }

    void reset() {
        if (ops_ != nullptr) {
            ops_->destroy(storage_);
            ops_ = nullptr;
        }
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
        [](void* from, void* to) {
            ::new (to) Fn(std::move(*static_cast<Fn*>(from)));
            static_cast<Fn*>(from)->~Fn();
        },
        [](void* p) { static_cast<Fn*>(p)->~Fn(); },
    };

    void take(InlineCallback&& other) {
        if (other.ops_ != nullptr) {
            other.ops_->move_to(other.storage_, storage_);
            ops_ = other.ops_;
            other.ops_ = nullptr;
        }
    }

    alignas(std::max_align_t) unsigned char storage_[Capacity];
    const Ops* ops_ = nullptr;
};

}  // namespace s2sim::models
